"""The listeners whose testssl.sh answers are recorded in this directory (``make truth``).

One definition serves three users: ``tools/truth.py`` (records ``<name>.json`` with
testssl.sh), ``tests/deep/test_truth_fixtures.py`` (compares ``mailtls scan --deep`` with
those recordings) and ``bench/deep.py`` (times mailtls, sslyze and testssl.sh on them).
Each of them starts the same servers with :func:`truth_lab`:

* one private Postfix (``tests/servers/postfix.py``) with one smtpd per Postfix listener,
  each with its own ``-o`` settings in master.cf;
* one private Dovecot (``tests/servers/dovecot.py``) serving IMAP and POP3 with STARTTLS
  (its defaults: Dovecot 2.3's ``ssl_min_protocol = TLSv1.2`` and default cipher list)
  and the auth socket through which Postfix's ``auth-before-tls`` listener does SASL.

Everything listens on 127.0.0.1 only, on ports picked at run time. Certificates come from
:mod:`mailtls.lab.pki` (a throwaway root and intermediate): RSA 2048 leaves unless the
listener says otherwise, an ECDSA P-256 leaf beside the RSA one on ``postfix-dual``. The
1024-bit DH group of ``postfix-dhe1024`` is the Oakley group 2 of RFC 2409 (the "Logjam"
group, fixed here so that every run serves the same prime).

Settings that are not Postfix's defaults and why (Postfix 3.7.11, OpenSSL 3.0, Debian 12):

* ``postfix-legacy``: ``tls_medium_cipherlist = ALL:eNULL:@SECLEVEL=0`` because OpenSSL 3.0
  refuses TLS 1.0/1.1 handshakes (their MD5/SHA-1 signatures) at security level 1 and
  above; ``eNULL`` adds the NULL-encryption suites that ``ALL`` leaves out.
* ``postfix-dhe1024``: ``smtpd_tls_dh1024_param_file`` with the 1024-bit group; security
  level 1 (level 2, OpenSSL's default here, refuses a DH group below 2048 bits); DHE
  suites only in TLS 1.2 so that every TLS 1.2 handshake uses that group.
"""

from __future__ import annotations

import base64
import contextlib
import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from mailtls.lab.pki import CA, Issued, new_key
from servers.dovecot import AuthSocket, DovecotInstance, Site
from servers.ports import free_ports
from servers.postfix import Listener, PostfixError, PostfixInstance

ADDRESS = "127.0.0.1"
HOST = "localhost"
PASSWORD = "truth-lab-password"
TRUTH_DIR = Path(__file__).resolve().parent

#: RFC 2409 section 6.2, Oakley group 2: the 1024-bit MODP prime, generator 2.
OAKLEY_GROUP_2 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)

SASL = {
    "smtpd_sasl_auth_enable": "yes",
    "smtpd_sasl_type": "dovecot",
    "smtpd_sasl_path": "private/auth",
    "smtpd_tls_auth_only": "no",
    "smtpd_relay_restrictions": "permit_sasl_authenticated,reject",
}


@dataclass(frozen=True)
class TruthListener:
    """One recorded endpoint.

    ``server`` postfix or dovecot; ``scheme`` the mailtls scheme to scan it with (its port
    is picked at run time); ``starttls`` testssl.sh's ``--starttls`` value; ``certs`` the
    leaf kinds it presents (``rsa``, ``ecdsa``); ``options`` Postfix ``-o`` settings
    (the placeholder ``{dh1024}`` is replaced by the DH parameter file's path).
    """

    name: str
    server: str
    scheme: str
    starttls: str
    description: str
    certs: tuple[str, ...] = ("rsa",)
    options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


LISTENERS: tuple[TruthListener, ...] = (
    TruthListener("postfix-default", "postfix", "smtp", "smtp",
                  "Postfix defaults (smtpd_tls_security_level = may), RSA 2048"),
    TruthListener("postfix-legacy", "postfix", "smtp", "smtp",
                  "TLS 1.0 and 1.1 enabled, @SECLEVEL=0, wide cipher list (ALL:eNULL)",
                  options={"smtpd_tls_protocols": ">=TLSv1",
                           "smtpd_tls_mandatory_protocols": ">=TLSv1",
                           "tls_medium_cipherlist": "ALL:eNULL:@SECLEVEL=0"}),
    TruthListener("postfix-tls13", "postfix", "smtp", "smtp", "TLS 1.3 only",
                  options={"smtpd_tls_protocols": ">=TLSv1.3",
                           "smtpd_tls_mandatory_protocols": ">=TLSv1.3"}),
    TruthListener("postfix-dhe1024", "postfix", "smtp", "smtp",
                  "DHE with the 1024-bit Oakley group 2, RSA certificate, TLS 1.2+",
                  options={"smtpd_tls_protocols": ">=TLSv1.2",
                           "smtpd_tls_mandatory_protocols": ">=TLSv1.2",
                           "smtpd_tls_dh1024_param_file": "{dh1024}",
                           "tls_medium_cipherlist": "kDHE:!aNULL:!eNULL:@SECLEVEL=1"}),
    TruthListener("postfix-dual", "postfix", "smtp", "smtp",
                  "RSA 2048 and ECDSA P-256 certificates together",
                  certs=("rsa", "ecdsa")),
    TruthListener("postfix-server-order", "postfix", "smtp", "smtp",
                  "server cipher preference (tls_preempt_cipherlist = yes)",
                  options={"tls_preempt_cipherlist": "yes"}),
    TruthListener("postfix-auth-before-tls", "postfix", "submission", "smtp",
                  "SASL through Dovecot offered before STARTTLS (smtpd_tls_auth_only = no)",
                  options=SASL),
    TruthListener("dovecot-imap", "dovecot", "imap", "imap", "Dovecot 2.3 defaults, IMAP"),
    TruthListener("dovecot-pop3", "dovecot", "pop3", "pop3", "Dovecot 2.3 defaults, POP3"),
)
BY_NAME: Mapping[str, TruthListener] = MappingProxyType({x.name: x for x in LISTENERS})


@dataclass
class TruthLab:
    """The running servers: ``ports[name]`` for every listener of :data:`LISTENERS`."""

    postfix: PostfixInstance
    dovecot: DovecotInstance
    ports: dict[str, int]
    directory: Path
    ca_file: Path
    address: str = ADDRESS

    def url(self, name: str) -> str:
        return f"{BY_NAME[name].scheme}://{HOST}:{self.ports[name]}"

    def connections(self, name: str) -> int:
        """Connections Postfix logged for a Postfix listener (``connect from`` lines)."""
        return sum("]: connect from " in x for x in self.postfix.log_lines(f"{name}/smtpd"))


def _der_int(n: int) -> bytes:
    body = n.to_bytes(n.bit_length() // 8 + 1, "big")  # a leading 0: never negative
    return b"\x02" + _der_len(len(body)) + body


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(size)]) + size


def dh_params_pem(p: int, g: int) -> str:
    """PKCS#3 DHParameter (SEQUENCE of p and g) in PEM, as ``openssl dhparam`` writes it
    (written by hand: cryptography warns about, and may refuse, a 1024-bit group)."""
    body = _der_int(p) + _der_int(g)
    der = b"\x30" + _der_len(len(body)) + body
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "\n".join(["-----BEGIN DH PARAMETERS-----", *lines, "-----END DH PARAMETERS-----", ""])


def write_pki(directory: Path) -> dict[str, tuple[Path, Path]]:
    """Root, intermediate, an RSA and an ECDSA leaf; ``lab-ca.pem``; the DH file."""
    root = CA.root("mailtls truth root CA")
    inter = root.intermediate("mailtls truth intermediate CA")
    names = (HOST, ADDRESS)
    leaves: dict[str, Issued] = {"rsa": inter.leaf(names, key=new_key("rsa", 2048)),
                                 "ecdsa": inter.leaf(names, key=new_key("ec", 256))}
    (directory / "lab-ca.pem").write_bytes(root.issued.cert_pem())
    (directory / "dh1024.pem").write_text(dh_params_pem(OAKLEY_GROUP_2, 2))
    return {kind: issued.write(directory, kind) for kind, issued in leaves.items()}


def _postfix_listener(x: TruthListener, port: int, certs: Mapping[str, tuple[Path, Path]],
                      directory: Path) -> Listener:
    options = {k: v.replace("{dh1024}", str(directory / "dh1024.pem"))
               for k, v in x.options.items()}
    if len(x.certs) > 1:
        files = [str(p) for kind in x.certs for p in (certs[kind][1], certs[kind][0])]
        options["smtpd_tls_chain_files"] = ", ".join(files)
    cert, key = certs[x.certs[0]]
    return Listener(x.name, port, cert, key, options, ADDRESS)


def _prepare_private(postfix: PostfixInstance) -> None:
    """Postfix's ``private/`` made before Dovecot puts its auth socket there."""
    private = postfix.queue_dir / "private"
    private.mkdir(parents=True, exist_ok=True)
    pw = pwd.getpwnam("postfix")
    os.chown(postfix.queue_dir, 0, 0)
    os.chown(private, pw.pw_uid, pw.pw_gid)
    private.chmod(0o700)
    postfix.queue_dir.chmod(0o755)


def _start(directory: Path, certs: Mapping[str, tuple[Path, Path]]) -> TruthLab:
    ports = dict(zip([x.name for x in LISTENERS], free_ports(len(LISTENERS)), strict=True))
    postfix = PostfixInstance([_postfix_listener(x, ports[x.name], certs, directory)
                               for x in LISTENERS if x.server == "postfix"])
    schemes = {x.scheme: ports[x.name] for x in LISTENERS if x.server == "dovecot"}
    rsa_cert, rsa_key = certs["rsa"]
    dovecot = DovecotInstance([Site(ADDRESS, rsa_cert, rsa_key)], schemes, PASSWORD,
                              auth_socket=AuthSocket(postfix.queue_dir / "private" / "auth"))
    try:
        _prepare_private(postfix)
        dovecot.start()  # first: smtpd dies at its first connection without the auth socket
        postfix.start()
    except BaseException:
        dovecot.cleanup()
        postfix.cleanup()
        raise
    return TruthLab(postfix, dovecot, ports, directory, directory / "lab-ca.pem")


@contextlib.contextmanager
def truth_lab(attempts: int = 3) -> Iterator[TruthLab]:
    """Start every listener of :data:`LISTENERS` (as root); stop and clean up afterwards.

    ``MAILTLS_KEEP_LAB=1`` keeps the directories (configs, logs) for debugging.
    """
    directory = Path(tempfile.mkdtemp(prefix="mailtls-truth-"))
    directory.chmod(0o755)
    certs = write_pki(directory)
    last: Exception | None = None
    lab: TruthLab | None = None
    for _ in range(attempts):
        try:
            lab = _start(directory, certs)
            break
        except (PostfixError, RuntimeError) as exc:  # DovecotError is a RuntimeError
            last = exc
            if "in use" not in str(exc):
                break
    if lab is None:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"the truth listeners did not start: {last}")
    try:
        yield lab
    finally:
        keep = os.environ.get("MAILTLS_KEEP_LAB", "") not in ("", "0")
        if keep:
            lab.dovecot.stop()
            lab.postfix.stop()
        else:
            lab.dovecot.cleanup()
            lab.postfix.cleanup()
            shutil.rmtree(directory, ignore_errors=True)
