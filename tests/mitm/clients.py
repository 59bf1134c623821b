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
    if protocol == "smtp":
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
