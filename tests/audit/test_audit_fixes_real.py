"""Every automatic fix of the Postfix audit, applied to a real configuration, leaves a
Postfix that starts and delivers over verified TLS (issue 14, item 5).

Each case writes a configuration that triggers one finding (the shapes of the corpus:
Debian's ``submission``/``smtps`` services with ``-o``, port 25, relays with SMTP AUTH),
runs ``mailtls audit-config --fix --write --in-place`` on it, checks that postconf now
prints the fixed value, starts the real Postfix from the result and sends a message:

* a server fix (``smtp``/``submission``/``smtps`` inet services named as in Debian's
  master.cf, bound to 127.0.0.1:25/587/465 through ``inet_interfaces``; Postfix refuses
  an ``inet_interfaces`` address that no interface has, so not 127.x.y.z): over STARTTLS or
  wrapper mode with a verifying context (the lab CA, the name ``localhost``);
* a client fix: the fixed Postfix relays to a second Postfix and must log
  ``Verified TLS connection established`` (``may`` verifies nothing by design: there the
  log must show TLS, ``Trusted`` with the CA configured).

Postfix runs in its own mount namespace whose /etc/resolv.conf names a loopback address,
so a fix that turns on DNS lookups (``dnssec``) never reaches a real resolver.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import smtplib
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from servers.ports import busy, free_ports
from servers.postfix import _MASTER_BASE, Listener, PostfixInstance

pytestmark = pytest.mark.servers

SERVER_PORTS = {"smtp": 25, "submission": 587, "smtps": 465}
SMTP_LINE = "smtp      unix  -       -       n       -       -       smtp\n"


@dataclass(frozen=True)
class Case:
    """One automatic fix: the configuration that triggers ``finding``, what the fix writes."""

    finding: str
    fixed: tuple[str, ...]  # lines `postconf -n` / `postconf -P` must print afterwards
    main: dict[str, str] = field(default_factory=dict)
    service: str = ""  # server cases: smtp, submission or smtps
    options: str = ""  # the service's -o lines
    client_options: str = ""  # -o lines for the smtp client service (client cases)
    tls: str = "verified"  # client cases: "verified", or "any" for level may
    patched_bundle: bool = False  # the "system bundle" the fix adds is the lab CA
    also: tuple[str, ...] = ()  # other findings this configuration triggers (fixed too)
    resolver: int = 0  # the MTA-STS resolver's port the fix names (a stand-in answers there)


def debian(name: str, *opts: str) -> str:
    return "".join(f"  -o {o}\n" for o in (f"syslog_name=postfix/{name}", *opts))


SERVER_CASES = {
    "port25-may": Case(
        "postfix.inbound_no_tls", ("smtpd_tls_security_level = may",),
        {"smtpd_tls_security_level": "none"}, "smtp"),
    "submission-encrypt-from-none": Case(
        "postfix.submission_no_tls", ("submission/inet/smtpd_tls_security_level = encrypt",),
        {}, "submission", debian("submission", "smtpd_tls_security_level=none")),
    "submission-encrypt-from-may": Case(
        "postfix.submission_tls_optional",
        ("submission/inet/smtpd_tls_security_level = encrypt",), {}, "submission",
        debian("submission")),
    "smtps-wrapper-from-none": Case(
        "postfix.submission_no_tls", ("smtps/inet/smtpd_tls_wrappermode = yes",),
        {}, "smtps", debian("smtps", "smtpd_tls_security_level=none")),
    "smtps-wrapper-from-starttls": Case(
        "postfix.submission_tls_optional", ("smtps/inet/smtpd_tls_wrappermode = yes",),
        {}, "smtps", debian("smtps")),
    "auth-only": Case(
        "postfix.auth_before_tls", ("smtp/inet/smtpd_tls_auth_only = yes",),
        {}, "smtp", debian("smtp", "smtpd_sasl_auth_enable=yes")),
    "protocols-ciphers-smtpd-may": Case(
        "postfix.legacy_protocols",
        ("smtpd_tls_protocols = >=TLSv1.2", "smtpd_tls_ciphers = medium"),
        {"smtpd_tls_protocols": "!SSLv2, !SSLv3", "smtpd_tls_ciphers": "export"}, "smtp",
        also=("postfix.weak_ciphers",)),
    "protocols-ciphers-submission-encrypt-o": Case(
        "postfix.legacy_protocols",
        ("submission/inet/smtpd_tls_mandatory_protocols = >=TLSv1.2",
         "submission/inet/smtpd_tls_mandatory_ciphers = medium"),
        {}, "submission",
        debian("submission", "smtpd_tls_security_level=encrypt",
               "smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3",
               "smtpd_tls_mandatory_ciphers=export"),
        also=("postfix.weak_ciphers",)),
    "protocols-ciphers-smtps-wrapper": Case(
        "postfix.legacy_protocols",
        ("smtpd_tls_mandatory_protocols = >=TLSv1.2", "smtpd_tls_mandatory_ciphers = medium"),
        {"smtpd_tls_mandatory_protocols": "TLSv1, TLSv1.1, TLSv1.2, TLSv1.3",
         "smtpd_tls_mandatory_ciphers": "low"}, "smtps",
        debian("smtps", "smtpd_tls_wrappermode=yes"), also=("postfix.weak_ciphers",)),
}

RELAY = {"smtp_tls_CAfile": "{ca}", "smtp_tls_loglevel": "1"}
SASL = {"smtp_sasl_auth_enable": "yes", "smtp_sasl_security_options": "noanonymous",
        "smtp_sasl_password_maps": "inline:{ {[localhost]:{port}=relayuser:secret} }"}

CLIENT_CASES = {
    "outbound-may": Case(
        "postfix.outbound_no_tls", ("smtp_tls_security_level = may",),
        {**RELAY, "smtp_tls_security_level": "none"}, tls="any"),
    "outbound-verify-ca-present": Case(
        "postfix.outbound_unverified", ("smtp_tls_security_level = verify",),
        {**RELAY, "smtp_tls_security_level": "encrypt"}),
    "outbound-verify-ca-added": Case(
        "postfix.outbound_unverified",
        ("smtp_tls_security_level = verify", "smtp_tls_CAfile = {ca}"),
        {"smtp_tls_loglevel": "1", "smtp_tls_security_level": "encrypt"},
        patched_bundle=True),
    "verify-without-ca": Case(
        "postfix.verify_without_ca", ("smtp_tls_CAfile = {ca}",),
        {"smtp_tls_loglevel": "1", "smtp_tls_security_level": "verify"},
        patched_bundle=True),
    "secure-without-ca": Case(
        "postfix.verify_without_ca", ("smtp_tls_CAfile = {ca}",),
        {"smtp_tls_loglevel": "1", "smtp_tls_security_level": "secure"},
        patched_bundle=True),
    "relay-secure-from-may": Case(
        "postfix.relay_credentials_unverified", ("smtp_tls_security_level = secure",),
        {**RELAY, **SASL, "smtp_tls_security_level": "may"}),
    "relay-secure-from-encrypt-ca-added": Case(
        "postfix.relay_credentials_unverified",
        ("smtp_tls_security_level = secure", "smtp_tls_CAfile = {ca}"),
        {**SASL, "smtp_tls_loglevel": "1", "smtp_tls_security_level": "encrypt"},
        patched_bundle=True),
    "relay-secure-from-dane": Case(
        "postfix.relay_credentials_unverified",
        ("smtp_tls_security_level = secure", "smtp_dns_support_level = dnssec"),
        {**RELAY, **SASL, "smtp_tls_security_level": "dane"},
        also=("postfix.dane_without_dnssec",)),
    "relay-secure-o-on-transport": Case(
        "postfix.relay_credentials_unverified", ("smtp/unix/smtp_tls_security_level = secure",),
        RELAY, client_options="  -o smtp_sasl_auth_enable=yes\n"
        "  -o { smtp_sasl_password_maps = inline:{ {[localhost]:{port}=relayuser:secret} } }\n"
        "  -o smtp_tls_security_level=may\n"),
    "protocols-ciphers-smtp-may": Case(
        "postfix.legacy_protocols",
        ("smtp_tls_protocols = >=TLSv1.2", "smtp_tls_ciphers = medium"),
        {**RELAY, "smtp_tls_security_level": "may", "smtp_tls_protocols": "!SSLv2, !SSLv3",
         "smtp_tls_ciphers": "export"}, tls="any", also=("postfix.weak_ciphers",)),
    "protocols-ciphers-smtp-verify": Case(
        "postfix.legacy_protocols",
        ("smtp_tls_mandatory_protocols = >=TLSv1.2", "smtp_tls_mandatory_ciphers = medium"),
        {**RELAY, "smtp_tls_security_level": "verify",
         "smtp_tls_mandatory_protocols": "!SSLv2, !SSLv3",
         "smtp_tls_mandatory_ciphers": "low"}, also=("postfix.weak_ciphers",)),
    "protocols-o-on-transport": Case(
        "postfix.legacy_protocols", ("smtp/unix/smtp_tls_mandatory_protocols = >=TLSv1.2",),
        {**RELAY, "smtp_tls_security_level": "verify"},
        client_options="  -o smtp_tls_mandatory_protocols=TLSv1\n"),
    # no relayhost: these rules judge a transport that delivers to MX hosts itself
    # (transport_maps names the next hop, so no MX lookup)
    "dane-from-may": Case(
        "postfix.dane_not_enforced",
        ("smtp_tls_security_level = dane", "smtp_dns_support_level = dnssec"),
        {**RELAY, "smtp_tls_security_level": "may", "relayhost": "",
         "transport_maps": "inline:{ localhost=smtp:[localhost]:{port} }",
         "smtp_tls_policy_maps": "socketmap:inet:127.0.0.1:{sts}:postfix"}, tls="any"),
    "dane-without-dnssec": Case(
        "postfix.dane_without_dnssec", ("smtp_dns_support_level = dnssec",),
        {**RELAY, "smtp_tls_security_level": "dane", "relayhost": "",
         "transport_maps": "inline:{ localhost=smtp:[localhost]:{port} }",
         "smtp_tls_policy_maps": "socketmap:inet:127.0.0.1:{sts}:postfix"}, tls="any"),
    "mta-sts-resolver": Case(
        "postfix.mta_sts_not_enforced",
        ("smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix",),
        {**RELAY, "smtp_tls_security_level": "dane", "smtp_dns_support_level": "dnssec",
         "relayhost": "", "transport_maps": "inline:{ localhost=smtp:[localhost]:{port} }"},
        tls="any", resolver=8461),
    "client-logging": Case(
        "postfix.tls_logging_off", ("smtp_tls_loglevel = 1",),
        {**RELAY, "smtp_tls_security_level": "verify", "smtp_tls_loglevel": "0"}),
}


class SocketMap(socketserver.ThreadingTCPServer):
    """A stand-in MTA-STS resolver: Postfix's socketmap protocol, every key NOTFOUND (a
    domain without an MTA-STS policy), each query recorded."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        self.queries: list[bytes] = []
        super().__init__(("127.0.0.1", port), _SocketMapHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _SocketMapHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while True:
            length = b""
            while (ch := self.rfile.read(1)) not in (b":", b""):
                length += ch
            if not ch or not length.isdigit():
                return
            request = self.rfile.read(int(length))
            self.rfile.read(1)  # the netstring's ","
            self.server.queries.append(request)  # type: ignore[attr-defined]
            self.wfile.write(b"9:NOTFOUND ,")
            self.wfile.flush()


def audit(config_dir: Path, ca_file: Path, *more: str,
          bundle: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``mailtls audit-config``; with ``bundle``, that file is this system's CA bundle."""
    argv = ["audit-config", "--postfix", str(config_dir), "--ca-file", str(ca_file),
            "--trust", "none", *more]
    code = ("import sys\nimport mailtls.checks.postfix_services as s\n"
            f"s.SYSTEM_BUNDLES = ({str(bundle)!r},)\n" if bundle else "import sys\n")
    code += "from mailtls.cli.main import cli, run\nsys.exit(run(cli, sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                          text=True, timeout=120, check=False)


def ids(proc: subprocess.CompletedProcess[str]) -> set[str]:
    return {f["id"] for f in json.loads(proc.stdout)["findings"]}


class Audited(PostfixInstance):
    """A Postfix whose configuration ``mailtls audit-config --fix`` corrects before start.

    ``master`` replaces the lab's listener lines (server cases); Postfix starts in a mount
    namespace whose /etc/resolv.conf is ``resolv`` (a loopback name server).
    """

    def __init__(self, *args: object, ca_file: Path, resolv: Path, master: str | None = None,
                 client_options: str = "", bundle: Path | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.ca_file, self.resolv, self.master = ca_file, resolv, master
        self.client_options, self.bundle = client_options, bundle
        self.before: set[str] = set()
        self.fix_output = ""

    def write_config(self) -> None:
        super().write_config()
        master = self.config_dir / "master.cf"
        text = master.read_text()
        if self.master is not None:
            text = _MASTER_BASE + self.master
        text = text.replace(SMTP_LINE, SMTP_LINE + self.client_options)
        master.write_text(text)
        self.before = ids(audit(self.config_dir, self.ca_file, "--json", bundle=self.bundle))
        fixed = audit(self.config_dir, self.ca_file, "--fix", "--write", "--in-place",
                      bundle=self.bundle)
        self.fix_output = fixed.stdout + fixed.stderr
        main_cf = (self.config_dir / "main.cf").read_text()
        assert fixed.returncode in (0, 1, 2), (self.fix_output, self.before, main_cf)

    def _postfix(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        if args != ("start",):
            return super()._postfix(*args, timeout=timeout)
        out = self.log_dir / "postfix-command.out"
        script = 'mount --bind "$1" /etc/resolv.conf && exec postfix -c "$2" start'
        with out.open("w") as fh:
            proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                   script, "sh", str(self.resolv), str(self.config_dir)],
                                  stdin=subprocess.DEVNULL, stdout=fh, stderr=fh,
                                  timeout=timeout, check=False)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read_text(), "")

    def postconf(self) -> str:
        return "".join(subprocess.run(["postconf", "-c", str(self.config_dir), flag],
                                      capture_output=True, text=True, check=True).stdout
                       for flag in ("-n", "-P"))


def server_address() -> str:
    """127.0.0.1 when ports 25, 465 and 587 are free there (Postfix binds only addresses
    of an interface, and only 127.0.0.1 is one on lo); else the test is skipped."""
    taken = busy([("127.0.0.1", p) for p in SERVER_PORTS.values()])
    if taken:
        pytest.skip(f"ports in use on 127.0.0.1: {taken}; the services need their real ports")
    return "127.0.0.1"


@pytest.fixture
def lab(lab_files: object, tmp_path: Path) -> dict[str, Path]:
    if shutil.which("postfix") is None or shutil.which("unshare") is None:
        pytest.fail("postfix (and unshare) must be installed: run `make test`", pytrace=False)
    base: Path = lab_files.directory  # type: ignore[attr-defined]
    resolv = base / f"resolv-{random.randrange(1 << 30)}.conf"
    nameserver = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    resolv.write_text(f"nameserver {nameserver}\noptions trust-ad timeout:1 attempts:1\n")
    resolv.chmod(0o644)
    cert, key = lab_files.certs["good"]  # type: ignore[attr-defined]
    return {"cert": cert, "key": key, "ca": lab_files.ca_file,  # type: ignore[attr-defined]
            "resolv": resolv}


def wait_for(check: object, what: str, log: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.2)
    assert check(), f"{what}\n{log()}"  # type: ignore[operator]


def assert_fixed(case: Case, instance: Audited, subst: dict[str, str]) -> None:
    assert {case.finding, *case.also} <= instance.before, (instance.before, instance.fix_output)
    shown = instance.postconf()
    for line in case.fixed:
        assert line.format(**subst) in shown, (line, shown, instance.fix_output)
    after = ids(audit(instance.config_dir, instance.ca_file, "--json"))
    assert not ({case.finding, *case.also} & after), (after, instance.fix_output)


def send(address: str, port: int, ca_file: Path, wrapper: bool, auth_only: bool) -> str:
    """Send one message over TLS verified with the lab CA; return the TLS version."""
    context = ssl.create_default_context(cafile=str(ca_file))
    message = b"Subject: fixed\r\n\r\nfixed by mailtls audit-config --fix\r\n"
    smtp: smtplib.SMTP
    if wrapper:
        smtp = smtplib.SMTP_SSL(local_hostname="client.test", timeout=30, context=context)
        smtp._host = "localhost"  # verify the certificate for the server's name
        smtp.connect(address, port)
    else:
        smtp = smtplib.SMTP(address, port, local_hostname="client.test", timeout=30)
        smtp.ehlo()
        if auth_only:
            assert not smtp.has_extn("auth"), smtp.esmtp_features  # no AUTH before TLS
        smtp._host = "localhost"
        smtp.starttls(context=context)
    with smtp:
        smtp.ehlo()
        if auth_only:
            assert smtp.has_extn("auth"), smtp.esmtp_features  # AUTH after TLS
        smtp.sendmail("bob@client.test", ["alice@localhost"], message)
        assert smtp.sock is not None
        return str(smtp.sock.version())  # type: ignore[attr-defined]


def refuses_plain_mail(address: str, port: int) -> bool:
    with smtplib.SMTP(address, port, local_hostname="client.test", timeout=30) as smtp:
        code, _ = smtp.mail("bob@client.test")
        return code == 530


@pytest.mark.parametrize("name", sorted(SERVER_CASES))
def test_server_fix_delivers_over_verified_tls(name: str, lab: dict[str, Path]) -> None:
    case = SERVER_CASES[name]
    address = server_address()
    port = SERVER_PORTS[case.service]
    master = f"{case.service} inet n - n - - smtpd\n{case.options}"
    wrapper_before = "smtpd_tls_wrappermode=yes" in case.options
    main = {"inet_interfaces": address,
            "smtpd_tls_chain_files": f"{lab['key']}, {lab['cert']}", **case.main}
    instance = Audited([Listener(name, port, address=address, options={
        "smtpd_tls_wrappermode": "yes" if wrapper_before or "wrappermode = yes" in
        " ".join(case.fixed) else "no"})], main_cf=main, ca_file=lab["ca"],
        resolv=lab["resolv"], master=master)
    try:
        instance.start()
        assert_fixed(case, instance, {})
        shown = instance.postconf()
        wrapper = f"{case.service}/inet/smtpd_tls_wrappermode = yes" in shown
        version = send(address, port, lab["ca"], wrapper, case.finding == "postfix.auth_before_tls")
        assert version in ("TLSv1.2", "TLSv1.3")
        if f"{case.service}/inet/smtpd_tls_security_level = encrypt" in shown:
            assert refuses_plain_mail(address, port)  # encrypt: no mail before STARTTLS
        wait_for(instance.maildir_messages, "no message delivered", instance.log_text)
        assert "TLS connection established from" in instance.log_text()
    finally:
        instance.cleanup()


@pytest.mark.parametrize("name", sorted(CLIENT_CASES))
def test_client_fix_relays_over_verified_tls(name: str, lab: dict[str, Path]) -> None:
    case = CLIENT_CASES[name]
    port_a, port_b, port_s = free_ports(3)
    subst = {"ca": str(lab["ca"]), "port": str(port_b), "sts": str(port_s)}
    if case.resolver and busy([("127.0.0.1", case.resolver)]):
        pytest.skip(f"127.0.0.1:{case.resolver} is in use: the stand-in resolver needs it")
    resolver = SocketMap(case.resolver or port_s)
    receiver = PostfixInstance([Listener("receiver", port_b, lab["cert"], lab["key"])],
                               main_cf={"myhostname": "b.test"})
    main = {key: value.replace("{ca}", subst["ca"]).replace("{port}", subst["port"])
            .replace("{sts}", subst["sts"]) for key, value in case.main.items()}
    sender = Audited(
        [Listener("sender", port_a, lab["cert"], lab["key"])], users=(), main_cf={
            "virtual_mailbox_domains": "", "relayhost": f"[localhost]:{port_b}",
            "default_transport": "smtp", "relay_transport": "relay", **main},
        ca_file=lab["ca"], resolv=lab["resolv"], bundle=lab["ca"] if case.patched_bundle
        else None, client_options=case.client_options.replace("{port}", subst["port"]))
    try:
        receiver.start()
        sender.start()
        assert_fixed(case, sender, subst)
        with smtplib.SMTP("127.0.0.1", port_a, local_hostname="client.test", timeout=30) as s:
            s.sendmail("bob@client.test", ["alice@localhost"],
                       b"Subject: relayed\r\n\r\nrelayed after mailtls audit-config --fix\r\n")
        wait_for(receiver.maildir_messages, "not relayed", sender.log_text)
        wanted = (r"Verified TLS connection established to localhost" if case.tls == "verified"
                  else r"(Trusted|Untrusted|Anonymous) TLS connection established to localhost")
        assert re.search(wanted, sender.log_text()), sender.log_text()
        if "socketmap" in main.get("smtp_tls_policy_maps", "") or case.resolver:
            assert resolver.queries, "the MTA-STS resolver was never asked"
    finally:
        resolver.shutdown()
        resolver.server_close()
        sender.cleanup()
        receiver.cleanup()
