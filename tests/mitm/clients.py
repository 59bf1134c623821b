"""Real mail clients as argv templates for ``mailtls mitm run``, with their known verdicts.

{ca} is the control CA (written by the test), {dir} a scratch directory; {host}, {port}
and {scheme} are the harness's own placeholders.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
PY = sys.executable
CERT_ATTACKS = ("self_signed", "expired", "wrong_host", "untrusted_ca")
ALL = ("control", *CERT_ATTACKS, "starttls_stripped", "starttls_rejected",
       "response_injection", "tls1_0_only")
IMPLICIT = ("control", *CERT_ATTACKS, "tls1_0_only")  # smtps/imaps/pop3s
PASSWORD = "s3cret-password"
# sh -c WRITE_RC NAME CONTENT FILE PROGRAM ARGS...: write CONTENT (where the harness has
# already replaced {host} and {port}) to FILE, mode 0600, then run PROGRAM
WRITE_RC = 'umask 077; printf "%s\\n" "$1" > "$2"; shift 2; exec "$@"'


def verdicts(vulnerable: tuple[str, ...] = (), scenarios: tuple[str, ...] = ALL
             ) -> dict[str, str]:
    return {s: "vulnerable" if s in vulnerable else "safe" for s in scenarios}


def py(protocol: str, verify: bool) -> list[str]:
    argv = [PY, str(HERE / "pyclient.py"), protocol, "{host}", "{port}"]
    return [*argv, "{ca}"] if verify else argv


def curl(protocol: str, verify: bool) -> list[str]:
    trust = ["--cacert", "{ca}"] if verify else ["-k"]
    argv = ["curl", "-sS", "--max-time", "10", "--ssl-reqd", *trust, "-u",
            "alice:s3cret-password", "--url", f"{protocol}://{{host}}:{{port}}/"]
    if protocol in ("smtp", "smtps"):
        return [*argv, "--mail-from", "alice@example.test", "--mail-rcpt",
                "bob@example.test", "-T", str(HERE / "message.eml")]
    return argv


def swaks(verify: bool) -> list[str]:
    tls = ["--tls", "--tls-verify", "--tls-ca-path", "{ca}"] if verify else ["--tls"]
    return ["swaks", "--server", "{host}:{port}", "--to", "bob@example.test", "--from",
            "alice@example.test", "--auth", "PLAIN", "--auth-user", "alice",
            "--auth-password", "s3cret-password", "--timeout", "10", *tls]


def msmtp(verify: bool) -> list[str]:
    check = ["--tls-certcheck=on", "--tls-trust-file={ca}"] if verify else [
        "--tls-certcheck=off"]
    return ["sh", "-c", 'exec msmtp "$@" < ' + str(HERE / "message.eml"), "msmtp",
            "--host={host}", "--port={port}", "--tls=on", "--tls-starttls=on", *check,
            "--auth=plain", "--user=alice", "--passwordeval=echo s3cret-password",
            "--from=alice@example.test", "bob@example.test"]


def mailtls_send(verify: bool) -> list[str]:
    trust = ["--ca-file", "{ca}"] if verify else []
    return [PY, "-m", "mailtls", "send", "--server", "smtp://{host}:{port}", "--from",
            "alice@example.test", "--to", "bob@example.test", "--file",
            str(HERE / "message.eml"), "--user", "alice", "--password-file",
            str(HERE / "password.txt"), "--timeout", "10", *trust]


def nodemailer(verify: bool) -> list[str]:
    return ["node", str(HERE / "nodemailer_client.js"), "{host}", "{port}",
            "{ca}" if verify else "-"]


def with_rc(program: str, content: str, rc: str, argv: list[str]) -> list[str]:
    """Run ``argv`` after writing its configuration file ``rc`` (under {dir})."""
    return ["sh", "-c", WRITE_RC, program, content, rc, *argv]


def fetchmail(protocol: str, tls: str) -> list[str]:
    """tls: "verify" (sslcertck with the control CA), "nocheck-required" (sslproto
    'tls1.2+', no sslcertck) or "nocheck" (no sslcertck, no sslproto: opportunistic)."""
    options = {"verify": "sslcertck sslcertfile {ca}",
               "nocheck-required": "sslproto 'tls1.2+' no sslcertck",
               "nocheck": "no sslcertck"}[tls]
    rc = ("set no syslog\n"
          f"poll {{host}} port {{port}} proto {protocol} timeout 10 user alice password "
          f'"{PASSWORD}" {options} keep fetchall mda "cat >/dev/null"')
    return with_rc("fetchmail", rc, "{dir}/fetchmailrc", [
        "env", "FETCHMAILHOME={dir}", "fetchmail", "-N", "-f", "{dir}/fetchmailrc"])


def getmail(protocol: str, verify: bool) -> list[str]:
    """getmail6 has no STARTTLS: implicit TLS only (Simple{POP3,IMAP}SSLRetriever)."""
    kind = {"pop3s": "POP3", "imaps": "IMAP"}[protocol]
    rc = (f"[retriever]\ntype = Simple{kind}SSLRetriever\nserver = {{host}}\n"
          f"port = {{port}}\nusername = alice\npassword = {PASSWORD}\n"
          + ("ca_certs = {ca}\n" if verify else "")
          + "[destination]\ntype = MDA_external\npath = /bin/true\n"
          "[options]\nread_all = false\ndelete = false")
    return with_rc("getmail", rc, "{dir}/getmailrc", [
        "getmail", "--getmaildir", "{dir}", "--rcfile", "getmailrc"])


def mbsync(ssl_type: str) -> list[str]:
    """isync 1.4 has no switch to turn verification off: "STARTTLS" verifies against the
    control CA only; "None" is the careless configuration (no TLS at all)."""
    trust = ("\nSystemCertificates no\nCertificateFile {ca}"
             if ssl_type != "None" else "")
    rc = (f"IMAPAccount a\nHost {{host}}\nPort {{port}}\nUser alice\nPass {PASSWORD}\n"
          f"Timeout 10\nSSLType {ssl_type}{trust}\n\n"
          "IMAPStore remote\nAccount a\n\n"
          "MaildirStore local\nInbox {dir}/mail/INBOX\n\n"
          "Channel c\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\n"
          "SyncState *")
    return with_rc("mbsync", rc, "{dir}/mbsyncrc", [
        "mbsync", "-q", "-c", "{dir}/mbsyncrc", "-a"])


def mpop(verify: bool) -> list[str]:
    check = ["--tls-certcheck=on", "--tls-trust-file={ca}"] if verify else [
        "--tls-certcheck=off"]
    return ["mpop", "--host={host}", "--port={port}", "--tls=on", "--tls-starttls=on",
            *check, "--auth=user", "--user=alice", f"--passwordeval=echo {PASSWORD}",
            "--delivery=mbox,{dir}/mbox", "--keep=on", "-q"]


def s_nail(verify: bool) -> list[str]:
    tls = (["-Stls-verify=strict", "-Stls-ca-file={ca}", "-Stls-ca-no-defaults"]
           if verify else ["-Stls-verify=ignore"])
    return ["sh", "-c", 'exec s-nail "$@" < ' + str(HERE / "message.eml"), "s-nail",
            "-:/", "-Sv15-compat", "-Ssendwait",
            f"-Smta=smtp://alice:{PASSWORD}@{{host}}:{{port}}", "-Ssmtp-use-starttls",
            "-Ssmtp-auth=plain", *tls, "-r", "alice@example.test", "-s", "hi",
            "bob@example.test"]


def mutt(verify: bool) -> list[str]:
    """Batch mode (the message on stdin): no prompt, so a certificate mutt does not
    accept by itself is refused. Careless: ssl_force_tls, ssl_verify_host and
    ssl_verify_dates off (mutt has no switch to accept any certificate)."""
    careless = ("" if verify else
                "set ssl_force_tls=no\nset ssl_verify_host=no\nset ssl_verify_dates=no\n")
    rc = ('set smtp_url="smtp://alice@{host}:{port}/"\n'
          f'set smtp_pass="{PASSWORD}"\nset smtp_authenticators=plain\n'
          "set ssl_starttls=yes\nset ssl_ca_certificates_file={ca}\n"
          "set certificate_file={dir}/mutt-certs\nset from=alice@example.test\n"
          f"set use_from=yes\nset record=\n{careless}")
    script = WRITE_RC.replace('exec "$@"', 'exec "$@" < ' + str(HERE / "message.eml"))
    return ["sh", "-c", script, "mutt", rc, "{dir}/muttrc",
            "mutt", "-n", "-F", "{dir}/muttrc", "-s", "hi", "bob@example.test"]
