"""Per-probe failure isolation in ``scan --deep`` (issue 9, item 1): whatever one probe
raises (a bug, a parser surprised by a strange reply) leaves that probe's results unknown
(None) with an outcome and a note; every other result of the endpoint stands, and no
traceback escapes. Run against a real SMTP server with real TLS (starttls_fake.py)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

import pytest
from starttls_fake import InjectableSMTP, server_context

from mailtls.checks.tls import tls_findings
from mailtls.model import DeepObservation, ProbeFailure, ProbeOutcome, Target
from mailtls.net.deep import Budget, deep_probe, engine, full
from mailtls.scan import ScanOptions, run_scan
from mailtls.verify import TrustStore

FAST = Budget(timeout=3.0, read_timeout=1.0, retries=1, backoff=0.05, max_backoff=0.1)


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    return server_context(tmp_path_factory.mktemp("isolation"))


def _deep(ctx: ssl.SSLContext, fake: InjectableSMTP | None = None) -> DeepObservation:
    fake = fake or InjectableSMTP(ctx, vulnerable=False, everything=None)

    async def main() -> DeepObservation:
        server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            target = Target("smtp", "fake.test", port, "127.0.0.1")
            return await asyncio.wait_for(deep_probe(target, budget=FAST), 60)

    return asyncio.run(main())


def _boom(name: str) -> Callable[..., object]:
    async def raising(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom in {name}")

    raising.__name__ = name
    return raising


def _error(obs: DeepObservation) -> set[str]:
    return {o.probe for o in obs.outcomes if o.outcome is ProbeOutcome.ERROR}


@pytest.fixture(scope="module")
def whole(tls_context: ssl.SSLContext) -> DeepObservation:
    """The same server scanned with nothing broken: what the other probes must still give."""
    obs = _deep(tls_context)
    assert not obs.incomplete and not obs.outcomes, obs.notes
    return obs


#: each probe, and the results it owns or that are drawn from them (None once it raised);
#: this server speaks TLS 1.2 and 1.3 only, so the TLS <= 1.2 facts hang on TLS 1.2's
OWNED: dict[str, tuple[str, ...]] = {
    "_tls12": ("TLSv1.2", "robot", "heartbleed", "extended_master_secret",
               "secure_renegotiation"),
    "_tls13": ("TLSv1.3",),
    "_legacy": ("TLSv1.1", "TLSv1", "SSLv3"),
    "_sslv2": ("SSLv2", "mail_without_tls"),
    "_fallback": ("fallback_scsv",),
    "_leftover_probes": (),
    "_orders": (),
    "_groups": (),
    "_tls13_chains": (),
    "_robot": ("robot",),
}

FIELDS = ("fallback_scsv", "mail_without_tls", "robot", "starttls_injection", "heartbleed",
          "secure_renegotiation", "extended_master_secret")  # fmt: skip


@pytest.mark.parametrize("name", list(OWNED))
def test_a_probe_that_raises_loses_only_its_own_results(
    tls_context: ssl.SSLContext, whole: DeepObservation, name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine.Scan, name, _boom(name))
    obs = _deep(tls_context)
    label = engine.PROBES[name]
    assert ProbeFailure(label, ProbeOutcome.ERROR, "scan.internal_error") in obs.outcomes
    assert _error(obs) == {label}
    assert obs.incomplete
    assert any(f"boom in {name}" in n and label in n for n in obs.notes), obs.notes
    owned = OWNED[name]
    for protocol, offered in whole.protocols.items():
        if protocol in owned:
            assert obs.protocols[protocol] is None, protocol
        else:
            assert obs.protocols[protocol] == offered, protocol
            assert obs.cipher_suites.get(protocol) == whole.cipher_suites.get(protocol)
    for attr in FIELDS:
        expected = None if attr in owned else getattr(whole, attr)
        assert getattr(obs, attr) == expected, attr
    assert obs.certificates, "the certificates stand"
    assert {f.id for f in tls_findings(obs)} >= {"scan.incomplete"}


def test_the_first_probe_raising_leaves_the_rest_standing(
    tls_context: ssl.SSLContext, whole: DeepObservation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The "top version" hello raising: each version is then probed on its own."""
    original = engine.Context.tls13

    async def tls13(self: engine.Context, suites: object, what: str, **kw: object) -> object:
        if what == "top version":
            raise ValueError("unparsable ServerHello")
        return await original(self, suites, what, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.Context, "tls13", tls13)
    obs = _deep(tls_context)
    assert _error(obs) == {"top version"}
    assert obs.cipher_suites.get("TLSv1.2") == whole.cipher_suites.get("TLSv1.2")
    assert obs.starttls_injection == whole.starttls_injection


def test_a_parser_error_inside_a_connection_loses_only_that_probe(
    tls_context: ssl.SSLContext, whole: DeepObservation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception raised while a connection is open (reading the negotiated suite of the
    full handshake): the full handshake's results are unknown, the enumeration stands, and
    the full handshake is not tried a second time."""

    def strange(conn: object) -> object:
        raise KeyError("a cipher name the registry has never seen")

    monkeypatch.setattr(full, "_suite", strange)
    fake = InjectableSMTP(tls_context, vulnerable=False, everything=None)
    obs = _deep(tls_context, fake)
    assert _error(obs) == {engine.FULL}
    assert any("KeyError" in n for n in obs.notes), obs.notes
    assert fake.handshakes == 2, "the failed full handshake, then the injection probe alone"
    assert obs.session_ids is None and obs.session_tickets is None
    assert obs.client_renegotiation is None
    assert obs.cipher_suites == whole.cipher_suites
    assert obs.starttls_injection == "not vulnerable"  # on a connection of its own


def test_no_traceback_escapes_the_scan(
    tls_context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through ``run_scan`` (what the command line runs): a result with the deep part."""
    monkeypatch.setattr(engine.Scan, "_fallback", _boom("_fallback"))
    fake = InjectableSMTP(tls_context, vulnerable=False, everything=None)

    async def main() -> int:
        server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
        async with server:
            port: int = server.sockets[0].getsockname()[1]
            target = Target("smtp", "fake.test", port, "127.0.0.1")
            options = ScanOptions(store=TrustStore.mozilla(), deep=True, timeout=5)
            (result,) = await asyncio.to_thread(run_scan, [target], options)
            assert result.deep is not None and result.deep.cipher_suites
            assert result.deep.fallback_scsv is None
            assert "scan.incomplete" in {f.id for f in result.findings}
            return port

    asyncio.run(main())
