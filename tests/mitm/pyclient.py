"""A Python stdlib mail client as the tests run it: smtplib, imaplib or poplib over
STARTTLS (smtp, imap, pop3) or implicit TLS (smtps: SMTP_SSL, imaps: IMAP4_SSL, pop3s:
POP3_SSL), with ssl.create_default_context(cafile=CA) when CA is given, with no context
(the standard library's default: no verification) otherwise. Logs in, sends or lists."""

import imaplib
import poplib
import smtplib
import ssl
import sys

protocol, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=sys.argv[4]) if len(sys.argv) > 4 else None
if protocol in ("smtp", "smtps"):
    if protocol == "smtps":
        s = smtplib.SMTP_SSL(host, port, timeout=10, context=ctx)
    else:
        s = smtplib.SMTP(host, port, timeout=10)
        s.starttls(context=ctx)
    s.login("alice", "s3cret-password")
    s.sendmail("alice@example.test", ["bob@example.test"], "Subject: hi\r\n\r\nbody\r\n")
    s.quit()
elif protocol in ("imap", "imaps"):
    if protocol == "imaps":
        m = imaplib.IMAP4_SSL(host, port, timeout=10, ssl_context=ctx)
    else:
        m = imaplib.IMAP4(host, port, timeout=10)
        m.starttls(ssl_context=ctx)
    m.login("alice", "s3cret-password")
    m.select()
    m.logout()
else:
    if protocol == "pop3s":
        p = poplib.POP3_SSL(host, port, timeout=10, context=ctx)
    else:
        p = poplib.POP3(host, port, timeout=10)
        p.stls(context=ctx)
    p.user("alice")
    p.pass_("s3cret-password")
    p.stat()
    p.quit()
