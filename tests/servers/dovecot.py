"""A private Dovecot 2.3 instance on loopback: one address per certificate.

Found on this machine (Debian 12, Dovecot 2.3.19.1, OpenSSL 3.0):

* ``dovecot -c FILE`` runs a whole private instance when ``base_dir``, ``state_dir`` and
  ``log_path`` point into a temporary directory; it forks into the background by itself.
  ``doveadm -c FILE stop`` stops it but takes ~2.3 s; SIGTERM to the master pid
  (``base_dir/master.pid``) does the same in ~1.1 s, so :meth:`DovecotInstance.stop` uses it.
* Every inet listener takes a list of addresses, so each scheme (imap, imaps, pop3, pop3s,
  sieve) has ONE port shared by all sites, and ``local ADDR { ssl_cert = <...; ssl_key
  = <... }`` picks the certificate by the local address the client connected to.
  127.0.X.1 addresses bind without any setup on Linux loopback.
* 2.3 syntax (``ssl_cert = <file``, ``mail_location``, ``ssl_min_protocol``); 2.4 renamed
  most of these, so :func:`dovecot_version` is checked and 2.4 refused with a clear error.
* No ``ssl_dh`` file is needed: with OpenSSL 3 and the default ciphers (ECDHE only) 2.3
  starts without one.
* RSA-1024 and SHA-1 leaves are refused at OpenSSL's default security level 2: the login
  process logs ``Can't load SSL certificate (ssl_cert setting): ... ee key too small``
  (or ``ca md too weak``) and drops the client right after STARTTLS. Dovecot sets its
  cipher list before it loads the certificate, so ``ssl_cipher_list = DEFAULT:@SECLEVEL=0``
  in that address's ``local`` block (``Site(seclevel0=True)``) makes them load, and only
  there.
* Dovecot counts a client on loopback as secured: with ``disable_plaintext_auth = yes``
  it still offers no ``LOGINDISABLED`` and accepts a plaintext login before STARTTLS.
* Mail and homes belong to ``nobody`` (uid 65534 passes ``first_valid_uid = 500``).
"""

from __future__ import annotations

import functools
import grp
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from .ports import alive, check_loopback, read_greeting, terminate, wait_until

SCHEMES = ("imap", "imaps", "pop3", "pop3s", "sieve")
_SERVICE = {"imap": "imap-login", "imaps": "imap-login", "pop3": "pop3-login",
            "pop3s": "pop3-login", "sieve": "managesieve-login"}
_WRAPPED = {"imaps", "pop3s"}
_GREETING = {"imap": b"* OK", "imaps": b"* OK", "pop3": b"+OK", "pop3s": b"+OK",
             "sieve": b'"IMPLEMENTATION"'}
DIR_PREFIX = "mailtls-dovecot-"

@dataclass(frozen=True)
class Site:
    """A loopback address whose listeners present ``cert`` (leaf + chain) and ``key``.

    ``seclevel0`` adds ``ssl_cipher_list = DEFAULT:@SECLEVEL=0`` for that address only.
    """

    address: str
    cert: Path
    key: Path
    seclevel0: bool = False


@dataclass(frozen=True)
class AuthSocket:
    """An auth ``unix_listener`` (e.g. for Postfix ``smtpd_sasl_type = dovecot``)."""

    path: Path
    user: str = "postfix"
    group: str = "postfix"
    mode: str = "0660"


class DovecotError(RuntimeError):
    """Dovecot refused its configuration or did not start; carries the log."""


def dovecot_version() -> tuple[int, ...]:
    out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, check=True).stdout
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", out.strip())
    if not m:
        raise DovecotError(f"cannot read the dovecot version from {out!r}")
    return tuple(int(x) for x in m.groups() if x is not None)


class DovecotInstance:
    """A private Dovecot in ``base`` (a fresh temporary directory by default).

    ``ports`` maps schemes from :data:`SCHEMES` to ports; a scheme left out is not served.
    The first site is also the default certificate.
    """

    def __init__(self, sites: Sequence[Site], ports: Mapping[str, int], password: str,
                 base: Path | None = None, *, user: str = "alice",
                 auth_socket: AuthSocket | None = None, extra_conf: str = "",
                 start_timeout: float = 30.0) -> None:
        if not sites:
            raise ValueError("at least one site is needed")
        unknown = set(ports) - set(SCHEMES)
        if unknown:
            raise ValueError(f"unknown schemes {sorted(unknown)}; known: {SCHEMES}")
        for s in sites:
            check_loopback(s.address)
        self.sites = list(sites)
        self.ports = dict(ports)
        self.user, self.password = user, password
        self.auth_socket = auth_socket
        self.extra_conf = extra_conf
        self.start_timeout = start_timeout
        self._own_base = base is None
        self.base = Path(base or tempfile.mkdtemp(prefix=DIR_PREFIX)).resolve()
        self.conf_path = self.base / "dovecot.conf"
        self.run_dir = self.base / "run"
        self.state_dir = self.base / "state"
        self.home_dir = self.base / "home"
        self.log_path = self.base / "log" / "dovecot.log"
        self.running = False

    # -- what tests use -------------------------------------------------------------------

    @property
    def addresses(self) -> list[str]:
        return [s.address for s in self.sites]

    def site(self, address: str) -> Site:
        return next(s for s in self.sites if s.address == address)

    def maildir(self, user: str | None = None) -> Path:
        return self.home_dir / (user or self.user) / "Maildir"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- configuration --------------------------------------------------------------------

    def config_text(self) -> str:
        nobody = pwd.getpwnam("nobody")
        nogroup = grp.getgrgid(nobody.pw_gid).gr_name
        default = self.sites[0]
        lines = [
            "# private mailtls lab instance (Dovecot 2.3 syntax)",
            f"base_dir = {self.run_dir}",
            f"state_dir = {self.state_dir}",
            f"log_path = {self.log_path}",
            "default_internal_user = nobody",
            f"default_internal_group = {nogroup}",
            "default_login_user = nobody",
            f"protocols = {self._protocols()}",
            f"listen = {', '.join(self.addresses)}",
            "ssl = yes",
            f"ssl_cert = <{default.cert}",
            f"ssl_key = <{default.key}",
            "auth_mechanisms = plain login",
            "auth_failure_delay = 0",  # 2 s per failed login by default: slow tests only
            "disable_plaintext_auth = yes",
            "mail_location = maildir:~/Maildir",
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {self.base / 'users'}",
            "}",
            "userdb {",
            "  driver = passwd-file",
            f"  args = username_format=%u {self.base / 'users'}",
            "}",
            "plugin {",
            "  sieve = file:~/sieve;active=~/.dovecot.sieve",
            "}",
        ]
        for service in dict.fromkeys(_SERVICE.values()):
            lines.append(f"service {service} {{")
            for scheme in SCHEMES:
                if _SERVICE[scheme] != service:
                    continue
                port = self.ports.get(scheme, 0)
                lines += [f"  inet_listener {scheme} {{",
                          f"    address = {', '.join(self.addresses)}",
                          f"    port = {port}"]
                if scheme in _WRAPPED:
                    lines.append("    ssl = yes")
                lines.append("  }")
            lines.append("}")
        if self.auth_socket:
            a = self.auth_socket
            lines += ["service auth {", f"  unix_listener {a.path} {{", f"    mode = {a.mode}",
                      f"    user = {a.user}", f"    group = {a.group}", "  }", "}"]
        for s in self.sites:
            lines += [f"local {s.address} {{", f"  ssl_cert = <{s.cert}",
                      f"  ssl_key = <{s.key}"]
            if s.seclevel0:
                lines.append("  ssl_cipher_list = DEFAULT:@SECLEVEL=0")
            lines.append("}")
        if self.extra_conf:
            lines.append(self.extra_conf)
        return "\n".join(lines) + "\n"

    def _protocols(self) -> str:
        wanted = {"imap-login": "imap", "pop3-login": "pop3", "managesieve-login": "sieve"}
        served = {_SERVICE[s] for s, p in self.ports.items() if p}
        return " ".join(v for k, v in wanted.items() if k in served) or "none"

    def write_config(self) -> None:
        nobody = pwd.getpwnam("nobody")
        self.base.chmod(0o755)
        for d in (self.run_dir, self.state_dir, self.log_path.parent):
            d.mkdir(parents=True, exist_ok=True)
        home = self.home_dir / self.user
        home.mkdir(parents=True, exist_ok=True)
        for d in (self.home_dir, home):
            os.chown(d, nobody.pw_uid, nobody.pw_gid)
        users = self.base / "users"
        users.write_text(f"{self.user}:{{PLAIN}}{self.password}:{nobody.pw_uid}:"
                         f"{nobody.pw_gid}::{home}::\n")
        os.chown(users, nobody.pw_uid, nobody.pw_gid)  # read by auth, running as nobody
        users.chmod(0o600)
        if self.auth_socket:
            self.auth_socket.path.parent.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(self.config_text())

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> DovecotInstance:
        self.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def master_pid(self) -> int | None:
        try:
            pid = int((self.run_dir / "master.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if alive(pid) else None

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        out = self.log_path.parent / "command.out"
        with out.open("w") as fh:  # never a pipe: the daemon would inherit it
            proc = subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=fh, stderr=fh,
                                  timeout=60, check=False)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read_text(), "")

    def start(self) -> None:
        if shutil.which("dovecot") is None:
            raise DovecotError("dovecot is not installed: run `make test` "
                               "(scripts/install-deps.sh installs it)")
        version = dovecot_version()
        if version[:2] != (2, 3):
            raise DovecotError(f"tests/servers/dovecot.py writes Dovecot 2.3 configuration; "
                               f"found {'.'.join(map(str, version))}")
        self.write_config()
        proc = self._run("dovecot", "-c", str(self.conf_path))
        if proc.returncode != 0:
            raise DovecotError(f"dovecot did not start ({proc.returncode}):\n{proc.stdout}\n"
                               f"--- log ---\n{self.log_text()}")
        self.running = True
        try:
            self._wait_ready()
        except (TimeoutError, RuntimeError) as exc:
            log = self.log_text()
            self.stop()
            raise DovecotError(f"{exc}\n--- log ---\n{log}") from exc
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        wait_until(lambda: self.master_pid() is not None, self.start_timeout,
                   "dovecot master pid")
        first = self.addresses[0]
        for scheme, port in self.ports.items():
            if not port:
                continue
            wait_until(functools.partial(_greets, first, scheme, port),
                       self.start_timeout, f"dovecot {scheme} on {first}:{port}",
                       alive=self._dead_reason)

    def _dead_reason(self) -> str | None:
        return None if self.master_pid() is not None else "the dovecot master process is gone"

    def stop(self) -> None:
        pid = self.master_pid()
        if pid is not None:
            terminate(pid)  # as `stop` does, without its fixed wait
        self.running = False

    def cleanup(self) -> None:
        """Stop, and remove the directory if this instance made it."""
        self.stop()
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)


def _greets(address: str, scheme: str, port: int) -> bool:
    return _GREETING[scheme] in read_greeting(address, port, tls=scheme in _WRAPPED)

