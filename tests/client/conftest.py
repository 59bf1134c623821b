"""The client's session fixture: ``submit_lab`` (see clientlab.py for what it starts)."""

from __future__ import annotations

import os
import pwd
import secrets
from collections.abc import Iterator

import pytest
from clientlab import ADDRESS, BAD, SubmitLab, _listeners

from servers.dovecot import AuthSocket, DovecotInstance, Site
from servers.ports import free_ports
from servers.postfix import PostfixError, PostfixInstance


@pytest.fixture(scope="session")
def submit_lab(lab_files: object) -> Iterator[SubmitLab]:
    """Postfix (SASL via Dovecot) with one listener per situation; see the module doc."""
    if os.geteuid() != 0:
        pytest.fail("the client's real-server tests must run as root", pytrace=False)
    password = "pw-" + secrets.token_urlsafe(12)
    good_cert, good_key = lab_files.certs["good"]  # type: ignore[attr-defined]
    last: Exception | None = None
    for _ in range(3):
        ports = free_ports(len(BAD) + 6)
        postfix = PostfixInstance(_listeners(lab_files, ports[:-1]))
        dovecot = DovecotInstance(
            [Site(ADDRESS, good_cert, good_key)], {"imap": ports[-1]}, password,
            auth_socket=AuthSocket(postfix.queue_dir / "private" / "auth"))
        try:
            # Dovecot first: smtpd dies at its first connection without the auth socket
            private = postfix.queue_dir / "private"
            private.mkdir(parents=True, exist_ok=True)
            pw = pwd.getpwnam("postfix")
            os.chown(postfix.queue_dir, 0, 0)
            os.chown(private, pw.pw_uid, pw.pw_gid)
            private.chmod(0o700)
            postfix.queue_dir.chmod(0o755)
            dovecot.start()
            postfix.start()
        except (PostfixError, RuntimeError) as exc:
            dovecot.cleanup()
            postfix.cleanup()
            last = exc
            continue
        lab = SubmitLab(postfix, dovecot, lab_files.ca_file, password)  # type: ignore[attr-defined]
        yield lab
        dovecot.cleanup()
        postfix.cleanup()
        return
    pytest.fail(f"the client's Postfix did not start: {last}", pytrace=False)
