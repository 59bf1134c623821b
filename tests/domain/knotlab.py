"""A private Knot DNS on a loopback port, signing its zones itself (``dnssec-signing: on``).

Found on this machine (Debian 12, Knot 3.2.6):

* knotd runs as root with its own config, ``rundir`` (control socket), ``storage`` (zone
  files, journal, timers) and KASP database, all in one temporary directory; nothing of
  /etc/knot or /var/lib/knot is touched.
* Signing starts at load: a CSK per zone (``single-type-signing: on``, ECDSA P-256), NSEC.
  ``keymgr -c CONF ZONE ds`` prints the zone's DS records from the KASP database.
* Knot, authoritative for parent and child, answers a DS query for the child's apex from
  the parent zone, so one server serves the whole chain. A parent zone rewritten with new
  DS records is reloaded with ``knotc zone-reload`` (``zonefile-load: difference-no-serial``
  keeps the signatures and bumps the serial itself).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dns.message
import dns.query
import dns.rcode

_CONF = """\
server:
    rundir: "{d}/run"
    listen: {address}@{port}
log:
  - target: {d}/knot.log
    any: info
database:
    storage: "{d}/db"
policy:
  - id: lab
    algorithm: ecdsap256sha256
    single-type-signing: on
template:
  - id: default
    storage: "{d}/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
zone:
{zones}"""


class KnotError(RuntimeError):
    pass


class Knot:
    """``zones``: name (no trailing dot) -> zone text; ``signed``: the names Knot signs."""

    def __init__(self, address: str, port: int, zones: dict[str, str], signed: set[str]) -> None:
        self.address, self.port = address, port
        self.zones, self.signed = dict(zones), set(signed)
        self.dir = Path(tempfile.mkdtemp(prefix="mailtls-knot-"))
        self.conf = self.dir / "knot.conf"
        self.proc: subprocess.Popen[bytes] | None = None

    def _write(self) -> None:
        for sub in ("run", "db", "zones"):
            (self.dir / sub).mkdir(exist_ok=True)
        blocks = ""
        for name in self.zones:
            blocks += f"  - domain: {name}.\n"
            if name in self.signed:
                blocks += "    dnssec-signing: on\n    dnssec-policy: lab\n"
        self.conf.write_text(_CONF.format(d=self.dir, address=self.address, port=self.port,
                                          zones=blocks))
        for name, text in self.zones.items():
            (self.dir / "zones" / f"{name}.zone").write_text(text)

    def start(self) -> None:
        self._write()
        self.proc = subprocess.Popen(["knotd", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise KnotError(f"knotd exited: {self.log()[-2000:]}")
            if all(self._serves(z) for z in self.zones):
                return
            time.sleep(0.1)
        raise KnotError(f"knotd did not serve its zones: {self.log()[-2000:]}")

    def _serves(self, zone: str) -> bool:
        q = dns.message.make_query(zone + ".", "SOA", want_dnssec=True)
        try:
            r = dns.query.udp(q, self.address, timeout=0.5, port=self.port)
        except Exception:
            return False
        signed = any(rr.rdtype == 46 for rr in r.answer)  # RRSIG
        return r.rcode() == dns.rcode.NOERROR and bool(r.answer) and (
            signed or zone not in self.signed)

    def log(self) -> str:
        path = self.dir / "knot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _run(self, *args: str) -> str:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
        if done.returncode != 0:
            raise KnotError(f"{' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def ds(self, zone: str, digest: int = 2) -> list[str]:
        """The zone's DS records (``NAME. DS TAG ALG DIGEST-TYPE HEX``) of ``digest`` type."""
        out = self._run("keymgr", "-c", str(self.conf), zone + ".", "ds")
        return [line for line in out.splitlines() if line.split()[4:5] == [str(digest)]]

    def set_zone(self, zone: str, text: str) -> None:
        """Rewrite a zone file and reload it; returns when the new serial is served."""
        self.zones[zone] = text
        (self.dir / "zones" / f"{zone}.zone").write_text(text)
        self._run("knotc", "-c", str(self.conf), "-b", "zone-reload", zone + ".")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class DomainLab:
    knot: Knot
    anchor: Path
    ca_file: Path
    net: str  # "127.X.Y."
    mx_port: int
    certs: dict[str, tuple[Path, Path]]

    @property
    def resolver(self) -> str:
        return f"{self.knot.address}:{self.knot.port}"

    def args(self) -> list[str]:
        return ["--resolver", self.resolver, "--trust-anchor", str(self.anchor),
                "--ca-file", str(self.ca_file), "--mx-port", str(self.mx_port)]
