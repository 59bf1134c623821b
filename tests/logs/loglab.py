"""Real Postfix and Dovecot logs for ``mailtls logs``: what the tests send, and the logs it leaves.

One sending Postfix ("sender", SASL through Dovecot) relays by recipient domain to a
receiving Postfix ("receiver") with four listeners:

* ``v.test``: the good chain, and the sender's policy for it is ``verify`` (Verified TLS);
* ``u.test``: a chain from a CA the sender does not know, policy ``may`` (Untrusted TLS);
* ``c.test``: a listener without STARTTLS (mail in clear);
* ``f.test``: the untrusted chain again, but with policy ``verify`` (verification fails,
  the mail stays deferred);
* a listener accepting TLS 1.2 and newer only, to which ``openssl s_client -tls1`` fails.

Clients: smtplib submits to the sender over STARTTLS with AUTH PLAIN (Dovecot SASL); imaplib
logs in to Dovecot over STARTTLS and in clear; ``openssl s_client -tls1`` fails against the
TLS 1.2-only Postfix listener and Dovecot. :class:`Sent` records what was sent, for the tests
to compare the summary's counts with.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import smtplib
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from servers.dovecot import AuthSocket, DovecotInstance, Site
from servers.ports import free_ports
from servers.postfix import Listener, PostfixInstance

PASSWORD = "logs-lab-password"
SASL = {
    "smtpd_sasl_auth_enable": "yes",
    "smtpd_sasl_type": "dovecot",
    "smtpd_sasl_path": "private/auth",
    "smtpd_tls_auth_only": "yes",
}
TLS12_ONLY = {"smtpd_tls_protocols": ">=TLSv1.2", "smtpd_tls_mandatory_protocols": ">=TLSv1.2"}


@dataclass
class Sent:
    """What the lab did, by kind: the expected counts."""

    verified: int = 0
    untrusted: int = 0
    clear: int = 0
    failed_verify: int = 0
    auth_tls: int = 0
    failed_tls10: int = 0
    imap_tls: int = 0
    imap_clear: int = 0
    imap_failed: int = 0
    ports: dict[str, int] = field(default_factory=dict)


@dataclass
class LogLab:
    sender: PostfixInstance
    receiver: PostfixInstance
    dovecot: DovecotInstance
    ca_file: Path
    sent: Sent

    def log_files(self) -> list[Path]:
        return [self.sender.log_path, self.receiver.log_path, self.dovecot.log_path]

    def cleanup(self) -> None:
        for x in (self.sender, self.dovecot, self.receiver):
            x.cleanup()


def _receiver(files: object, ports: dict[str, int]) -> PostfixInstance:
    certs = files.certs  # type: ignore[attr-defined]
    boxes = ", ".join(f"alice@{d}=alice/" for d in ("v.test", "u.test", "c.test"))
    listeners = [Listener("rx-verified", ports["verified"], *certs["good"]),
                 Listener("rx-untrusted", ports["untrusted"], *certs["untrusted"]),
                 Listener("rx-clear", ports["clear"]),
                 Listener("rx-tls12", ports["tls12"], *certs["good"], TLS12_ONLY)]
    return PostfixInstance(listeners, main_cf={
        "myhostname": "receiver.test", "virtual_mailbox_domains": "v.test u.test c.test",
        "virtual_mailbox_maps": f"inline:{{ {boxes} }}"})


def _sender(files: object, ports: dict[str, int]) -> PostfixInstance:
    good = files.certs["good"]  # type: ignore[attr-defined]
    ca = files.ca_file  # type: ignore[attr-defined]
    transport = (f"v.test=smtp:[localhost]:{ports['verified']}, "
                 f"u.test=smtp:[localhost]:{ports['untrusted']}, "
                 f"c.test=smtp:[localhost]:{ports['clear']}, "
                 f"f.test=smtp:[127.0.0.1]:{ports['untrusted']}")
    policy = (f"[localhost]:{ports['verified']}=verify, "
              f"[127.0.0.1]:{ports['untrusted']}=verify")
    return PostfixInstance([Listener("submission", ports["submission"], *good, SASL)],
                           users=(), main_cf={
        "myhostname": "sender.test", "virtual_mailbox_domains": "",
        "default_transport": "smtp", "relay_transport": "smtp",
        "transport_maps": f"inline:{{ {transport} }}",
        "smtp_tls_security_level": "may", "smtp_tls_CAfile": str(ca),
        "smtp_tls_loglevel": "1",
        "smtp_tls_policy_maps": f"inline:{{ {policy} }}",
        "smtpd_relay_restrictions": "permit_sasl_authenticated, permit_mynetworks, reject"})


def _prepare_private(postfix: PostfixInstance) -> None:
    private = postfix.queue_dir / "private"
    private.mkdir(parents=True, exist_ok=True)
    pw = pwd.getpwnam("postfix")
    os.chown(postfix.queue_dir, 0, 0)
    os.chown(private, pw.pw_uid, pw.pw_gid)
    private.chmod(0o700)
    postfix.queue_dir.chmod(0o755)


def start(files: object) -> LogLab:
    names = ("verified", "untrusted", "clear", "tls12", "submission", "imap")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    receiver = _receiver(files, ports)
    sender = _sender(files, ports)
    good = files.certs["good"]  # type: ignore[attr-defined]
    dovecot = DovecotInstance([Site("127.0.0.1", *good)], {"imap": ports["imap"]}, PASSWORD,
                              auth_socket=AuthSocket(sender.queue_dir / "private" / "auth"))
    lab = LogLab(sender, receiver, dovecot, files.ca_file, Sent(ports=ports))  # type: ignore[attr-defined]
    try:
        _prepare_private(sender)
        dovecot.start()
        receiver.start()
        sender.start()
    except BaseException:
        lab.cleanup()
        raise
    return lab


def submit(lab: LogLab, domain: str, count: int) -> None:
    """``count`` messages to alice@DOMAIN, submitted over STARTTLS with AUTH PLAIN."""
    context = ssl.create_default_context(cafile=str(lab.ca_file))
    port = lab.sent.ports["submission"]
    for i in range(count):
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as s:
            s._host = "localhost"  # verify the certificate for the server's name
            s.starttls(context=context)
            s.login("alice", PASSWORD)
            s.sendmail("alice@sender.test", [f"alice@{domain}"],
                       f"Subject: {domain} {i}\r\n\r\nlogs lab\r\n".encode())
        lab.sent.auth_tls += 1


def tls10_handshake(port: int, starttls: str) -> None:
    """``openssl s_client -tls1``: a client offering TLS 1.0 only; the handshake fails."""
    subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-starttls",
                    starttls, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
                   input=b"", capture_output=True, timeout=30, check=False)


def imap_logins(lab: LogLab, tls: int, clear: int) -> None:
    port = lab.sent.ports["imap"]
    context = ssl.create_default_context(cafile=str(lab.ca_file))
    for use_tls in [True] * tls + [False] * clear:
        with imaplib.IMAP4("localhost", port, timeout=30) as imap:
            if use_tls:
                imap.starttls(context)
            imap.login("alice", PASSWORD)
            imap.logout()
        if use_tls:
            lab.sent.imap_tls += 1
        else:
            lab.sent.imap_clear += 1


def wait_delivered(lab: LogLab, total: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.sender.log_text().count("status=sent") >= total:
            return
        time.sleep(0.2)
    raise AssertionError(f"not all {total} delivered:\n{lab.sender.log_text()}")


def run_all(lab: LogLab, verified: int = 3, untrusted: int = 2, clear: int = 2,
            failed_verify: int = 1) -> Sent:
    """Send everything of the module doc; returns the counts."""
    for domain, n in (("v.test", verified), ("u.test", untrusted), ("c.test", clear)):
        submit(lab, domain, n)
    lab.sent.verified, lab.sent.untrusted, lab.sent.clear = verified, untrusted, clear
    tls10_handshake(lab.sent.ports["tls12"], "smtp")
    lab.sent.failed_tls10 += 1
    imap_logins(lab, tls=2, clear=1)
    tls10_handshake(lab.sent.ports["imap"], "imap")
    lab.sent.imap_failed += 1
    submit(lab, "f.test", failed_verify)
    lab.sent.failed_verify = failed_verify
    wait_delivered(lab, verified + untrusted + clear)
    lab.sender.wait_for_log("status=deferred")
    lab.receiver.wait_for_log("lost connection after STARTTLS|SSL_accept error")
    time.sleep(0.5)  # the last disconnect lines
    return lab.sent


def have_servers() -> bool:
    return all(shutil.which(x) for x in ("postfix", "dovecot", "openssl"))
