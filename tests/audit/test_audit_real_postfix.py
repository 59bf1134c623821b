"""The recommended fixes work: a real Postfix, audited, fixed by --fix --write --in-place,
starts and accepts mail over verified STARTTLS, and the audit of its files is then clean."""

from __future__ import annotations

import json
import shutil
import smtplib
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from servers.ports import free_ports
from servers.postfix import Listener, PostfixInstance

pytestmark = pytest.mark.servers

BAD = {  # what the audit must find, and fix
    "smtpd_tls_protocols": "!SSLv2, !SSLv3",
    "smtpd_tls_mandatory_protocols": "!SSLv2, !SSLv3",
    "smtpd_tls_ciphers": "export",
    "smtpd_tls_loglevel": "0",
}


def audit(config_dir: Path, ca_file: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailtls", "audit-config", "--postfix",
                           str(config_dir), "--ca-file", str(ca_file), "--trust", "none", *more],
                          capture_output=True, text=True, timeout=120, check=False)


class FixedPostfix(PostfixInstance):
    """Writes the bad configuration, then lets ``mailtls audit-config --fix`` correct it."""

    ca_file: Path
    before: tuple[str, ...] = ()

    def write_config(self) -> None:
        super().write_config()
        found = audit(self.config_dir, self.ca_file, "--json")
        self.before = tuple(f["id"] for f in json.loads(found.stdout)["findings"])
        fixed = audit(self.config_dir, self.ca_file, "--fix", "--write", "--in-place")
        assert fixed.returncode in (0, 1), fixed.stderr


def test_fixed_configuration_accepts_mail_over_tls(lab_files: object) -> None:
    if shutil.which("postfix") is None:
        pytest.fail("postfix is not installed: run `make test`", pytrace=False)
    cert, key = lab_files.certs["good"]  # type: ignore[attr-defined]
    ca_file: Path = lab_files.ca_file  # type: ignore[attr-defined]
    (port,) = free_ports(1)
    instance = FixedPostfix([Listener("audited", port, cert, key)], main_cf=BAD)
    instance.ca_file = ca_file
    try:
        instance.start()
        assert {"postfix.legacy_protocols", "postfix.weak_ciphers",
                "postfix.tls_logging_off"} <= set(instance.before)
        assert (instance.config_dir / "main.cf.bak").exists()
        after = audit(instance.config_dir, ca_file, "--json")
        assert after.returncode == 0, after.stdout
        context = ssl.create_default_context(cafile=str(ca_file))
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as smtp:
            smtp._host = "localhost"  # verify the certificate for the server's name
            smtp.starttls(context=context)
            assert smtp.sock is not None
            assert smtp.sock.version() in ("TLSv1.2", "TLSv1.3")  # type: ignore[attr-defined]
            smtp.sendmail("bob@client.test", ["alice@localhost"],
                          b"Subject: audited\r\n\r\nfixed by mailtls audit-config\r\n")
        deadline = time.monotonic() + 20
        while not instance.maildir_messages() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert instance.maildir_messages(), instance.log_text()
        assert "TLS connection established" in instance.log_text()  # loglevel 1 now
    finally:
        instance.cleanup()


def test_fixed_relay_delivers_over_verified_tls(lab_files: object) -> None:
    """encrypt -> verify (the CA is there) and the mandatory protocols: the fixed Postfix
    relays to a second Postfix and logs a verified TLS connection."""
    if shutil.which("postfix") is None:
        pytest.fail("postfix is not installed: run `make test`", pytrace=False)
    cert, key = lab_files.certs["good"]  # type: ignore[attr-defined]
    ca_file: Path = lab_files.ca_file  # type: ignore[attr-defined]
    port_a, port_b = free_ports(2)
    receiver = PostfixInstance([Listener("receiver", port_b, cert, key)],
                               main_cf={"myhostname": "b.test"})  # no mail loop to A
    sender = FixedPostfix([Listener("sender", port_a, cert, key)], users=(), main_cf={
        **BAD, "virtual_mailbox_domains": "", "relayhost": f"[localhost]:{port_b}",
        "default_transport": "smtp", "relay_transport": "relay",
        "smtp_tls_security_level": "encrypt", "smtp_tls_CAfile": str(ca_file),
        "smtp_tls_loglevel": "1"})
    sender.ca_file = ca_file
    try:
        receiver.start()
        sender.start()
        assert {"postfix.outbound_unverified", "postfix.legacy_protocols"} <= set(sender.before)
        assert "smtp_tls_security_level = verify" in (sender.config_dir / "main.cf").read_text()
        after = audit(sender.config_dir, ca_file, "--json")
        assert after.returncode == 0, after.stdout
        with smtplib.SMTP("127.0.0.1", port_a, local_hostname="client.test", timeout=30) as s:
            s.sendmail("bob@client.test", ["alice@localhost"],
                       b"Subject: relayed\r\n\r\nrelayed over verified TLS\r\n")
        deadline = time.monotonic() + 30
        while not receiver.maildir_messages() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert receiver.maildir_messages(), sender.log_text()
        assert "Verified TLS connection established to localhost" in sender.log_text()
    finally:
        sender.cleanup()
        receiver.cleanup()
