"""A Python stdlib mail client as the tests run it: smtplib, imaplib or poplib over
STARTTLS, with ssl.create_default_context(cafile=CA) when CA is given, with no context
(the standard library's default: no verification) otherwise. Logs in, sends or lists."""

import imaplib
import poplib
import smtplib
import ssl
import sys

protocol, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=sys.argv[4]) if len(sys.argv) > 4 else None
if protocol == "smtp":
    s = smtplib.SMTP(host, port, timeout=10)
    s.starttls(context=ctx)
    s.login("alice", "s3cret-password")
    s.sendmail("alice@example.test", ["bob@example.test"], "Subject: hi\r\n\r\nbody\r\n")
    s.quit()
elif protocol == "imap":
    m = imaplib.IMAP4(host, port, timeout=10)
    m.starttls(ssl_context=ctx)
    m.login("alice", "s3cret-password")
    m.select()
    m.logout()
else:
    p = poplib.POP3(host, port, timeout=10)
    p.stls(context=ctx)
    p.user("alice")
    p.pass_("s3cret-password")
    p.stat()
    p.quit()
