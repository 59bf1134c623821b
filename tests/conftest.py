"""Session fixtures: the lab PKI, and real Postfix and Dovecot presenting its certificates.

``postfix_lab`` and ``dovecot_lab`` start one server each for the whole session (Postfix
~3 s, Dovecot well under 1 s) on ports picked at run time, so parallel sessions do not
collide. Tests that use them carry ``@pytest.mark.servers``. When the binaries are missing
the fixtures FAIL (never skip) and say to run ``make test``, which installs them through
``scripts/install-deps.sh``. ``MAILTLS_KEEP_LAB=1`` keeps the server directories (config,
logs, maildirs) after the session, for debugging.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import settings

from mailtls.lab.pki import LabPKI, build_lab_pki
from servers.dovecot import SCHEMES, DovecotError, DovecotInstance, Site
from servers.ports import free_ports
from servers.postfix import Listener, PostfixError, PostfixInstance

#: Situations whose certificate Dovecot (OpenSSL at security level 2) refuses to load unless
#: its ``local`` block lowers the level; Postfix loads them as they are.
WEAK_SITUATIONS = frozenset({"weak-key", "weak-signature"})
LAB_PASSWORD = "alice-lab-password"
_ATTEMPTS = 3  # fresh ports when another process took one between choosing and binding

# In CI the property tests draw the same examples every run, so a red build always means a
# change broke something; locally they explore new examples (HYPOTHESIS_PROFILE=dev).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def _keep() -> bool:
    return os.environ.get("MAILTLS_KEEP_LAB", "") not in ("", "0")


def _require(binary: str) -> None:
    if shutil.which(binary) is None:
        pytest.fail(f"`{binary}` is not installed: the real-server tests need Postfix and "
                    "Dovecot from the OS packages; run `make test` (it calls "
                    "scripts/install-deps.sh), or scripts/install-deps.sh as root",
                    pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the real-server tests start private Postfix/Dovecot instances and must "
                    "run as root (e.g. in CI or a container)", pytrace=False)


@pytest.fixture(scope="session")
def lab_now() -> dt.datetime:
    """The instant the lab PKI was built around (servers check no dates)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def lab_pki(lab_now: dt.datetime) -> LabPKI:
    """Root CA (``lab_pki.root``, ``lab_pki.ca_pem()``) and one leaf per situation."""
    return build_lab_pki(lab_now)


@dataclass(frozen=True)
class LabFiles:
    """The lab PKI on disk: ``ca_file`` and ``stem.pem``/``stem.key`` per situation."""

    directory: Path
    ca_file: Path
    certs: dict[str, tuple[Path, Path]]


@pytest.fixture(scope="session")
def lab_files(lab_pki: LabPKI) -> Iterator[LabFiles]:
    d = Path(tempfile.mkdtemp(prefix="mailtls-lab-pki-"))
    d.chmod(0o755)
    ca_file = d / "lab-ca.pem"
    ca_file.write_bytes(lab_pki.ca_pem())
    certs = {name: s.issued.write(d, name) for name, s in lab_pki.situations.items()}
    yield LabFiles(d, ca_file, certs)
    if not _keep():
        shutil.rmtree(d, ignore_errors=True)


@dataclass
class PostfixLab(Mapping[str, int]):
    """Situation name -> STARTTLS port on ``address`` (all listeners on 127.0.0.1)."""

    instance: PostfixInstance
    ca_file: Path
    ports: dict[str, int]
    no_tls: int  # a listener that offers no STARTTLS
    smtps: int  # wrapper mode, presenting the "good" chain
    address: str = "127.0.0.1"

    def __getitem__(self, situation: str) -> int:
        return self.ports[situation]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ports)

    def __len__(self) -> int:
        return len(self.ports)


def _start_postfix(files: LabFiles) -> PostfixLab:
    names = list(files.certs)
    last: PostfixError | None = None
    for _ in range(_ATTEMPTS):
        ports = free_ports(len(names) + 2)
        by_name = dict(zip(names, ports, strict=False))
        good_cert, good_key = files.certs["good"]
        listeners = [Listener(n, by_name[n], *files.certs[n]) for n in names]
        listeners += [Listener("no-tls", ports[-2]),
                      Listener("smtps", ports[-1], good_cert, good_key,
                               {"smtpd_tls_wrappermode": "yes"})]
        instance = PostfixInstance(listeners)
        try:
            instance.start()
        except PostfixError as exc:
            instance.cleanup()
            last = exc
            if "in use" not in str(exc):
                break
            continue
        return PostfixLab(instance, files.ca_file, by_name, ports[-2], ports[-1])
    pytest.fail(f"the Postfix lab did not start: {last}", pytrace=False)


@pytest.fixture(scope="session")
def postfix_lab(lab_files: LabFiles) -> Iterator[PostfixLab]:
    """One Postfix: a STARTTLS listener per situation, one without TLS, one smtps."""
    _require("postfix")
    lab = _start_postfix(lab_files)
    yield lab
    if _keep():
        lab.instance.stop()
    else:
        lab.instance.cleanup()


class DovecotSite(NamedTuple):
    """Where one situation is served: its own loopback address, ports by scheme."""

    address: str
    ports: dict[str, int]


@dataclass
class DovecotLab(Mapping[str, DovecotSite]):
    """Situation name -> (address, {scheme: port}); schemes imap imaps pop3 pop3s sieve.

    Every address shares the same ports; "good" is on 127.0.0.1 (a name in its SAN),
    the others on 127.0.X.1, so only the address picks the certificate.
    """

    instance: DovecotInstance
    ca_file: Path
    sites: dict[str, DovecotSite]
    ports: dict[str, int]
    user: str = "alice"
    password: str = LAB_PASSWORD

    def __getitem__(self, situation: str) -> DovecotSite:
        return self.sites[situation]

    def __iter__(self) -> Iterator[str]:
        return iter(self.sites)

    def __len__(self) -> int:
        return len(self.sites)


def dovecot_addresses(names: list[str]) -> dict[str, str]:
    """``good`` on 127.0.0.1, the other situations on 127.0.2.1, 127.0.3.1, ..."""
    others = [n for n in names if n != "good"]
    return {"good": "127.0.0.1", **{n: f"127.0.{i + 2}.1" for i, n in enumerate(others)}}


def _start_dovecot(files: LabFiles) -> DovecotLab:
    addresses = dovecot_addresses(list(files.certs))
    sites = [Site(addresses[n], *files.certs[n], seclevel0=n in WEAK_SITUATIONS)
             for n in addresses]
    last: DovecotError | None = None
    for _ in range(_ATTEMPTS):
        ports = dict(zip(SCHEMES, free_ports(len(SCHEMES), list(addresses.values())),
                         strict=True))
        instance = DovecotInstance(sites, ports, LAB_PASSWORD)
        try:
            instance.start()
        except DovecotError as exc:
            instance.cleanup()
            last = exc
            if "in use" not in str(exc):
                break
            continue
        return DovecotLab(instance, files.ca_file,
                          {n: DovecotSite(a, dict(ports)) for n, a in addresses.items()}, ports)
    pytest.fail(f"the Dovecot lab did not start: {last}", pytrace=False)


@pytest.fixture(scope="session")
def dovecot_lab(lab_files: LabFiles) -> Iterator[DovecotLab]:
    """One Dovecot: imap, imaps, pop3, pop3s, sieve; one loopback address per situation."""
    _require("dovecot")
    lab = _start_dovecot(lab_files)
    yield lab
    if _keep():
        lab.instance.stop()
    else:
        lab.instance.cleanup()
