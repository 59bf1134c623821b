"""The domain lab: Knot (signed and unsigned zones), Postfix MX listeners, an MTA-STS host.

Everything on one random 127.X.Y.0/24 block (parallel sessions take other blocks):

* ``.1`` mx1: a leaf from an *untrusted* CA (DANE-EE needs no PKIX), TLSA 3 1 1 of its key;
* ``.2`` mx2: a leaf from the lab CA for mx2.dane.test, TLSA 2 1 1 of the intermediate's key;
* ``.3`` mx.sts.test: a lab-CA leaf for mx.sts.test (MTA-STS needs PKIX and the name);
* ``.9`` the MTA-STS policy host on port 443 (root), one certificate for every
  mta-sts.DOMAIN, the policy chosen by the Host header;
* Knot on ``.53``: ``test.`` (signed; the trust anchor is its DS) delegating to the zones
  below; DS records in ``test.`` for the signed ones (a wrong one for bogus.test).

| zone | signed | what it is |
|---|---|---|
| dane.test | yes | MX mx1 (3 1 1) and mx2 (2 1 1): authenticated |
| wrongtlsa.test | yes | MX mx1 with a TLSA that matches nothing: broken |
| unsigned.test | no | MX mx1 with a matching TLSA, unsigned: opportunistic |
| bogus.test | yes | the parent's DS does not match: bogus, broken |
| sts.test | no | MTA-STS enforce, MX covered and valid: authenticated |
| ststest.test | no | MTA-STS testing: partly |
| stsmiss.test | no | enforce; a second MX not covered by the policy: partly |
| stsredir.test | no | the policy URL redirects: opportunistic, mtasts.policy_redirect |
"""

from __future__ import annotations

import datetime as dt
import http.server
import random
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from knotlab import DomainLab, Knot

from mailtls.domain.dane import record_for
from mailtls.lab.pki import CA
from servers.ports import free_ports
from servers.postfix import Listener, PostfixInstance

POLICIES = {
    "sts.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 604800\r\n",
    "ststest.test": "version: STSv1\nmode: testing\nmx: *.sts.test\nmax_age: 86400\n",
    "stsmiss.test": "version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 604800\n",
}
SOA = "$TTL 300\n@ SOA ns.test. hostmaster.test. 1 60 60 600 60\n@ NS ns.test.\n"


def _zones(net: str, mx1_tlsa: str, mx2_tlsa: str) -> dict[str, str]:
    wrong = "3 1 1 " + "ab" * 32
    sts_common = f"@ MX 10 mx.sts.test.\nmta-sts A {net}9\n"
    return {
        "dane.test": SOA + f"@ MX 10 mx1\n@ MX 20 mx2\nmx1 A {net}1\nmx2 A {net}2\n"
        f"_25._tcp.mx1 TLSA {mx1_tlsa}\n_25._tcp.mx2 TLSA {mx2_tlsa}\n"
        '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@dane.test"\n',
        "wrongtlsa.test": SOA + f"@ MX 10 mx1\nmx1 A {net}1\n_25._tcp.mx1 TLSA {wrong}\n",
        "unsigned.test": SOA + f"@ MX 10 mx1\nmx1 A {net}1\n_25._tcp.mx1 TLSA {mx1_tlsa}\n",
        "bogus.test": SOA + f"@ MX 10 mx1\nmx1 A {net}1\n_25._tcp.mx1 TLSA {mx1_tlsa}\n",
        "sts.test": SOA + f"@ MX 10 mx\nmx A {net}3\nmta-sts A {net}9\n"
        '_mta-sts TXT "v=STSv1; id=20240101"\n'
        '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@sts.test,https://rpt.sts.test/r"\n',
        "ststest.test": SOA + sts_common + '_mta-sts TXT "v=STSv1; id=1"\n',
        "stsmiss.test": SOA + sts_common + f"@ MX 20 other\nother A {net}3\n"
        '_mta-sts TXT "v=STSv1; id=2"\n',
        "stsredir.test": SOA + sts_common + '_mta-sts TXT "v=STSv1; id=3"\n',
    }


SIGNED = {"dane.test", "wrongtlsa.test", "bogus.test"}


def _parent(children: list[str], ds: list[str]) -> str:
    lines = [SOA, "ns A 127.0.0.1\n"]
    lines += [f"{c}. NS ns.test.\n" for c in children]
    lines += [line + "\n" for line in ds]
    return "".join(lines)


class _Policy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        domain = (self.headers.get("Host") or "").removeprefix("mta-sts.").split(":")[0]
        if domain == "stsredir.test":
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.test/mta-sts.txt")
            self.end_headers()
            return
        body = POLICIES.get(domain)
        if body is None or self.path != "/.well-known/mta-sts.txt":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


def _policy_server(address: str, cert: Path, key: Path) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer((address, 443), _Policy)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _pki(d: Path, net: str) -> tuple[dict[str, tuple[Path, Path]], str, str]:
    now = dt.datetime.now(dt.UTC)
    root = CA.root("mailtls domain lab root", now=now)
    inter = root.intermediate("mailtls domain lab intermediate")
    rogue = CA.root("Unknown Root CA", now=now).intermediate("Unknown Intermediate CA")
    issued = {
        "mx1": rogue.leaf(["mx1.dane.test"]),
        "mx2": inter.leaf(["mx2.dane.test"]),
        "mxsts": inter.leaf(["mx.sts.test"]),
        "policy": inter.leaf([f"mta-sts.{n}" for n in (*POLICIES, "stsredir.test")]),
    }
    (d / "ca.pem").write_bytes(root.issued.cert_pem())
    certs = {name: i.write(d, name) for name, i in issued.items()}
    mx1 = str(record_for(issued["mx1"].cert, 3, 1, 1)).upper()
    mx2 = str(record_for(inter.cert, 2, 1, 1)).upper()
    return certs, _spaced(mx1), _spaced(mx2)


def _spaced(record: str) -> str:
    u, s, m, data = record.split()
    return f"{u} {s} {m} {data}"


@pytest.fixture(scope="session")
def domain_lab() -> Iterator[DomainLab]:
    d = Path(tempfile.mkdtemp(prefix="mailtls-domain-lab-"))  # pytest's tmp is 0700: postfix
    d.chmod(0o755)
    net = f"127.{random.randint(100, 250)}.{random.randint(1, 250)}."
    certs, mx1_tlsa, mx2_tlsa = _pki(d, net)
    zones = _zones(net, mx1_tlsa, mx2_tlsa)
    children = list(zones)
    knot = Knot(net + "53", 53, {"test": _parent(children, []), **zones}, {"test", *SIGNED})
    knot.start()
    policy = postfix = None
    try:
        ds = [line for c in sorted(SIGNED) for line in knot.ds(c)]
        ds = [_broken(line) if line.startswith("bogus.test.") else line for line in ds]
        knot.set_zone("test", _parent(children, ds))
        anchor = d / "anchor.txt"
        anchor.write_text("\n".join(knot.ds("test")) + "\n")
        port = free_ports(1, [net + "1", net + "2", net + "3"])[0]
        listeners = [Listener(n, port, *certs[c], address=net + a)
                     for n, c, a in (("mx1", "mx1", "1"), ("mx2", "mx2", "2"),
                                     ("mxsts", "mxsts", "3"))]
        postfix = PostfixInstance(listeners)  # master.cf binds each address itself
        postfix.start()
        policy = _policy_server(net + "9", *certs["policy"])
        yield DomainLab(knot, anchor, d / "ca.pem", net, port, certs)
    finally:
        if policy is not None:
            policy.shutdown()
            policy.server_close()
        if postfix is not None:
            postfix.stop()
            postfix.cleanup()
        knot.stop()
        shutil.rmtree(d, ignore_errors=True)


def _broken(ds_line: str) -> str:
    """The same DS with its digest's last hex digit changed: the child's key matches no DS."""
    last = ds_line[-1]
    return ds_line[:-1] + ("0" if last != "0" else "1")
