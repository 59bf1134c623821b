"""A private Postfix instance on loopback, one smtpd per listener, each with its own chain.

Found on this machine (Debian 12, Postfix 3.7.11, OpenSSL 3.0):

* ``postfix -c DIR start`` works for root without more, but the set-gid tools a non-root
  client uses (``postqueue -c DIR``, ``postdrop``, so ``sendmail -C DIR``) refuse a DIR that
  is not listed in ``alternate_config_directories`` of the default ``/etc/postfix/main.cf``
  ("unauthorized configuration directory name"). :func:`register_config_dir` adds it under
  a file lock (parallel sessions; made if the package left no main.cf), drops stale lab
  entries, and :meth:`PostfixInstance.stop` removes it again.
* ``maillog_file`` must lie under ``maillog_file_prefixes`` (default ``/var, /dev/stdout``),
  so the instance's main.cf sets the prefix to its own ``log/`` directory, and master.cf
  runs ``postlogd``; there is no syslog daemon to catch anything else.
* Files under a pytest ``tmp_path`` are not reachable by the ``postfix`` user
  (``/tmp/pytest-of-root`` is 0700), so the instance lives in its own ``mkdtemp`` directory,
  opened to 0755.
* Postfix 3.7 loads an RSA-1024 leaf and a SHA-1-signed leaf as they are, with the
  default cipher grade (medium), although the same files make Dovecot fail with
  ``ee key too small`` / ``ca md too weak`` at OpenSSL's default security level 2;
  libpostfix-tls manages the security level itself (it calls
  ``SSL_CTX_set_security_level``). So no ``@SECLEVEL=0`` and no ``tls_config_file``
  is needed: ``openssl s_client -starttls smtp -showcerts`` shows exactly the configured
  chain on every listener (the client needs ``-cipher DEFAULT:@SECLEVEL=0`` only to
  avoid verify errors; Python's ``ssl`` needs it to complete the handshake). Should a
  stricter grade ever refuse them, ``tls_config_file`` (present in 3.7.11) pointing to an
  OpenSSL file whose ``postfix`` section sets ``CipherString = DEFAULT@SECLEVEL=0`` is the
  knob, per listener through ``options``.
* Delivery needs no root and no system user: ``virtual(8)`` stores mail for the configured
  users at ``localhost`` in maildirs under ``mail/``, owned by ``nobody``. Every other
  transport is ``error:``, so nothing ever leaves loopback.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from .ports import alive, busy, check_loopback, read_greeting, terminate, wait_until

DEFAULT_CONFIG = Path("/etc/postfix")
_LOCK = Path("/run/lock/mailtls-postfix-alternate.lock")
DIR_PREFIX = "mailtls-postfix-"

_MASTER_BASE = """\
# service type  private unpriv  chroot  wakeup  maxproc command
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


@dataclass(frozen=True)
class Listener:
    """One smtpd service: ``cert``/``key`` None means no STARTTLS offered.

    ``options`` become ``-o name=value`` (``smtpd_tls_wrappermode=yes`` makes an smtps
    listener).
    """

    name: str
    port: int
    cert: Path | None = None
    key: Path | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    address: str = "127.0.0.1"

    @property
    def wrapper(self) -> bool:
        return self.options.get("smtpd_tls_wrappermode", "no").lower() == "yes"

    def master_line(self) -> str:
        check_loopback(self.address)
        opts: dict[str, str] = {"syslog_name": f"postfix/{self.name}"}
        if self.cert is None:
            opts["smtpd_tls_security_level"] = "none"
        else:
            opts["smtpd_tls_chain_files"] = f"{self.key or self.cert},{self.cert}"
            opts["smtpd_tls_security_level"] = "may"
        opts.update(self.options)
        lines = [f"{self.address}:{self.port} inet n - n - - smtpd"]
        for k, v in opts.items():
            if re.search(r"[\s{}]", v):
                lines.append(f"  -o {{ {k} = {v} }}")
            else:
                lines.append(f"  -o {k}={v}")
        return "\n".join(lines) + "\n"


ListenerSpec = Listener | tuple[object, ...]


def as_listener(spec: ListenerSpec) -> Listener:
    """Accept a :class:`Listener` or a tuple ``(name, port, cert, key[, options])``."""
    if isinstance(spec, Listener):
        return spec
    name, port, cert, key, *rest = spec
    options = dict(rest[0]) if rest and rest[0] else {}  # type: ignore[call-overload]
    return Listener(str(name), int(port),  # type: ignore[call-overload]
                    Path(cert) if cert else None,  # type: ignore[arg-type]
                    Path(key) if key else None,  # type: ignore[arg-type]
                    options)


@contextlib.contextmanager
def _alternate_lock() -> Iterator[None]:
    _LOCK.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _postconf(*args: str) -> str:
    return subprocess.run(["postconf", "-c", str(DEFAULT_CONFIG), *args], check=True,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout


def _edit_alternates(add: str | None = None, remove: str | None = None) -> None:
    main_cf = DEFAULT_CONFIG / "main.cf"
    with _alternate_lock():
        if not main_cf.exists():
            DEFAULT_CONFIG.mkdir(parents=True, exist_ok=True)
            main_cf.write_text("# created by mailtls tests/servers/postfix.py\n"
                               "compatibility_level = 3.6\ninet_interfaces = loopback-only\n")
        current = _postconf("-h", "alternate_config_directories").replace(",", " ").split()
        keep = [d for d in current
                if d != remove and (DIR_PREFIX not in d or Path(d).is_dir())]
        if add and add not in keep:
            keep.append(add)
        if keep != current:
            _postconf("-e", f"alternate_config_directories = {' '.join(keep)}")


def register_config_dir(path: Path) -> None:
    """List ``path`` in the default instance's ``alternate_config_directories`` (idempotent).

    Stale entries of earlier lab instances whose directory is gone are dropped on the way.
    """
    _edit_alternates(add=str(path))


def unregister_config_dir(path: Path) -> None:
    _edit_alternates(remove=str(path))


class PostfixError(RuntimeError):
    """The instance did not pass ``postfix check`` or did not start; carries the log."""


class PostfixInstance:
    """A private Postfix in ``base`` (a fresh temporary directory by default).

    Use as a context manager, or call :meth:`start` and :meth:`stop` (:meth:`cleanup`
    also removes the directory). Starting takes ~2-3 s here, nearly all of it Postfix's
    first-run permission checks (``postfix-script check-warn``) over the new queue.
    """

    def __init__(self, listeners: Iterable[ListenerSpec], base: Path | None = None, *,
                 users: Sequence[str] = ("alice",), main_cf: Mapping[str, str] | None = None,
                 start_timeout: float = 30.0) -> None:
        self.listeners = [as_listener(x) for x in listeners]
        names = [x.name for x in self.listeners]
        if len(set(names)) != len(names):
            raise ValueError(f"listener names must be unique: {names}")
        self._own_base = base is None
        self.base = Path(base or tempfile.mkdtemp(prefix=DIR_PREFIX)).resolve()
        self.config_dir = self.base / "etc"
        self.queue_dir = self.base / "queue"
        self.data_dir = self.base / "data"
        self.mail_dir = self.base / "mail"
        self.log_dir = self.base / "log"
        self.log_path = self.log_dir / "postfix.log"
        self.users = tuple(users)
        self.main_cf_extra = dict(main_cf or {})
        self.start_timeout = start_timeout
        self.running = False

    # -- what tests use -------------------------------------------------------------------

    @property
    def ports(self) -> dict[str, int]:
        return {x.name: x.port for x in self.listeners}

    def listener(self, name: str) -> Listener:
        return next(x for x in self.listeners if x.name == name)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self, service: str | None = None) -> list[str]:
        """Maillog lines, optionally only those of ``postfix/SERVICE[pid]``."""
        lines = self.log_text().splitlines()
        if service is None:
            return lines
        tag = f"postfix/{service}["
        return [x for x in lines if tag in x]

    def wait_for_log(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        """Wait until a maillog line matches ``pattern`` (a regex) and return the match."""
        found: list[re.Match[str]] = []

        def check() -> bool:
            m = re.search(pattern, self.log_text())
            if m:
                found.append(m)
            return m is not None

        wait_until(check, timeout, f"postfix log line /{pattern}/")
        return found[0]

    def maildir_messages(self, user: str = "alice") -> list[Path]:
        new, cur = self.mail_dir / user / "new", self.mail_dir / user / "cur"
        return sorted([*new.glob("*"), *cur.glob("*")])

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> PostfixInstance:
        self.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def write_config(self) -> None:
        self.base.chmod(0o755)
        postfix = pwd.getpwnam("postfix")
        nobody = pwd.getpwnam("nobody")
        for d in (self.config_dir, self.queue_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
            d.chmod(0o755)
        self.data_dir.mkdir(exist_ok=True)
        os.chown(self.data_dir, postfix.pw_uid, postfix.pw_gid)
        self.data_dir.chmod(0o700)
        self.mail_dir.mkdir(exist_ok=True)
        os.chown(self.mail_dir, nobody.pw_uid, nobody.pw_gid)
        self.mail_dir.chmod(0o700)
        (self.config_dir / "main.cf").write_text(self._main_cf(nobody.pw_uid, nobody.pw_gid))
        (self.config_dir / "master.cf").write_text(
            _MASTER_BASE + "".join(x.master_line() for x in self.listeners))

    def _main_cf(self, uid: int, gid: int) -> str:
        mailboxes = ", ".join(f"{u}@localhost={u}/" for u in self.users)
        values: dict[str, str] = {
            "compatibility_level": "3.6",
            "config_directory": str(self.config_dir),
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "maillog_file_prefixes": str(self.log_dir),
            "maillog_file": str(self.log_path),
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": "localhost",
            "mydomain": "localdomain",
            "myorigin": "localhost",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "virtual_mailbox_domains": "localhost",
            "virtual_mailbox_base": str(self.mail_dir),
            "virtual_mailbox_maps": f"inline:{{ {mailboxes} }}" if mailboxes else "",
            "virtual_uid_maps": f"static:{uid}",
            "virtual_gid_maps": f"static:{gid}",
            "virtual_minimum_uid": "1",
            # nothing ever leaves loopback
            "relayhost": "",
            "default_transport": "error:the mailtls lab sends no mail out",
            "relay_transport": "error:the mailtls lab sends no mail out",
            "smtp_host_lookup": "native",
            "smtp_dns_support_level": "disabled",
            "smtpd_peername_lookup": "no",
            "smtpd_tls_loglevel": "1",
            "smtpd_tls_security_level": "may",
            "smtpd_banner": "$myhostname ESMTP mailtls lab",
            "biff": "no",
            "append_dot_mydomain": "no",
            "readme_directory": "no",
            "smtputf8_enable": "no",
            "maximal_queue_lifetime": "1h",
            "bounce_queue_lifetime": "1h",
        }
        values.update(self.main_cf_extra)
        return "".join(f"{k} = {v}\n" for k, v in values.items())

    def _postfix(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        # stdio never to a pipe that a daemon could inherit: output goes to a file
        out = self.log_dir / "postfix-command.out"
        with out.open("w") as fh:
            proc = subprocess.run(["postfix", "-c", str(self.config_dir), *args],
                                  stdin=subprocess.DEVNULL, stdout=fh, stderr=fh,
                                  timeout=timeout, check=False)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read_text(), "")

    def check(self) -> subprocess.CompletedProcess[str]:
        """Run ``postfix -c DIR check``; its output (warnings) is in ``.stdout``."""
        return self._postfix("check")

    def master_pid(self) -> int | None:
        try:
            pid = int((self.data_dir / "master.lock").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if alive(pid) else None

    def start(self) -> None:
        if shutil.which("postfix") is None:
            raise PostfixError("postfix is not installed: run `make test` "
                               "(scripts/install-deps.sh installs it)")
        if os.geteuid() != 0:
            raise PostfixError("a private Postfix instance must be started as root")
        self.write_config()
        register_config_dir(self.config_dir)
        try:
            for step in (("check",), ("start",)):
                proc = self._postfix(*step)
                if proc.returncode != 0:
                    raise PostfixError(f"postfix {step[0]} failed ({proc.returncode}):\n"
                                       f"{proc.stdout}{self._busy_note()}\n"
                                       f"--- maillog ---\n{self.log_text()}")
            self.running = True
            for x in self.listeners:
                wait_until(functools.partial(_answers_220, x), self.start_timeout,
                           f"postfix listener {x.name} on {x.address}:{x.port}",
                           alive=self._dead_reason)
        except BaseException as exc:
            log = self.log_text()
            self.stop()
            if isinstance(exc, TimeoutError | RuntimeError) and not isinstance(exc, PostfixError):
                raise PostfixError(f"{exc}\n--- maillog ---\n{log}") from exc
            raise

    def _busy_note(self) -> str:
        # the master's own "bind ...: Address already in use" reaches no log: say it here
        taken = busy([(x.address, x.port) for x in self.listeners]) if not self.running else []
        return "".join(f"listener port {a}:{p} already in use\n" for a, p in taken)

    def _dead_reason(self) -> str | None:
        if self.master_pid() is None:
            return "the postfix master process is gone"
        return None

    def stop(self) -> None:
        pid = self.master_pid()
        if pid is not None:
            terminate(pid)  # as `stop` does, without its fixed wait
        self.running = False
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            unregister_config_dir(self.config_dir)

    def cleanup(self) -> None:
        """Stop, and remove the directory if this instance made it."""
        self.stop()
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)


def _answers_220(listener: Listener) -> bool:
    greeting = read_greeting(listener.address, listener.port, tls=listener.wrapper)
    return greeting.startswith(b"220")

