"""Run the mailtls CLI in-process under the exit-status contract; what the devcert server
tests share (the printed snippets, the served CA, running a snippet twice)."""

from __future__ import annotations

import contextlib
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mailtls.cli.exits import run
from mailtls.cli.main import cli


@dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str


def mailtls(*args: str) -> Result:
    """``mailtls ARGS`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run(cli, list(args))
    return Result(status, out.getvalue(), err.getvalue())


def snippet(ca_dir: Path, client: str, *extra: str) -> str:
    """What ``mailtls devcert trust --client CLIENT --host localhost EXTRA`` prints."""
    r = mailtls("devcert", "trust", "--dir", str(ca_dir), "--client", client,
                "--host", "localhost", *extra)
    assert r.status == 0, r.err
    return r.out


def settings(text: str) -> dict[str, str]:
    """``name = value`` lines of a main.cf/dovecot.conf snippet (comments dropped)."""
    pairs = (line.split("=", 1) for line in text.splitlines()
             if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


@dataclass(frozen=True)
class Servers:
    """The Postfix and Dovecot serving the devcert certificate of ``ca_dir``."""

    ca_dir: Path
    other_ca: Path  # ca.pem of an unrelated devcert CA: every client must fail with it
    smtp: int
    imaps: int
    inbox: Path  # the served Postfix delivers alice@localhost here (a maildir)
    user: str = "alice"
    password: str = "pw"

    @property
    def ca(self) -> str:
        return str(self.ca_dir.resolve() / "ca.pem")

    def other(self, text: str) -> str:
        """``text`` with the other CA's ca.pem in place of this one's."""
        assert self.ca in text
        return text.replace(self.ca, str(self.other_ca))

    def delivered(self, subject: str) -> bool:
        """Whether a message with this Subject reached alice@localhost on the served Postfix."""
        line = f"Subject: {subject}"
        return any(line in p.read_text(errors="replace").splitlines()
                   for p in [*self.inbox.glob("new/*"), *self.inbox.glob("cur/*")])


def run_both(srv: Servers, text: str, argv: list[str], suffix: str, tmp_path: Path,
             env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], ...]:
    """Run ``text`` (saved as a file, given to ``argv``) as printed, then with the other CA."""
    results = []
    for name, body in (("good", text), ("other", srv.other(text))):
        path = tmp_path / f"{name}{suffix}"
        path.write_text(body)
        path.chmod(0o600)
        results.append(subprocess.run([*argv, str(path)], capture_output=True, text=True,
                                      timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path,
                                      env=env))
    return tuple(results)
