"""scan --deep against scripted loopback servers (tests/deep/fakes.py): the connection
count the server sees, enumeration that survives silent closes and dropped connections,
and the positive paths no real server here can show (SSLv2, SSLv3, Heartbleed, CCS
injection)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mailtls.checks.tls import tls_findings
from mailtls.model import DeepObservation, Target
from mailtls.net.deep import Budget, deep_probe
from mailtls.scan import ScanOptions, run_scan
from mailtls.verify import TrustStore
from support.tlsfakes import SSL3, TLS12, TLS13, FakeTLS, running, serve

FAST = Budget(timeout=3.0, read_timeout=1.0, retries=1, backoff=0.05, max_backoff=0.1)
RSA_SUITES = [0x009C, 0x009D, 0x002F, 0x0035]  # RSA key exchange: no ServerKeyExchange
TLS13_SUITES = [0x1301, 0x1302, 0x1303]


def modern(**kw: object) -> FakeTLS:
    return FakeTLS(suites={TLS12: list(RSA_SUITES), TLS13: list(TLS13_SUITES)}, **kw)  # type: ignore[arg-type]


def deep(fake: FakeTLS, budget: Budget = FAST) -> DeepObservation:
    async def main() -> DeepObservation:
        server, port = await serve(fake)
        async with server:
            target = Target("smtp", "fake.test", port, "127.0.0.1")
            return await asyncio.wait_for(deep_probe(target, budget=budget), 60)

    return asyncio.run(main())


# --- 1. connections_used is what the server sees --------------------------------------


def test_connections_used_counts_every_connection_of_the_scan() -> None:
    """The plain probe's connection included: the number equals the server's count."""
    fake = modern()
    with running(fake) as port:
        target = Target("smtp", "fake.test", port, "127.0.0.1")
        options = ScanOptions(store=TrustStore.mozilla(), deep=True, timeout=5)
        (result,) = run_scan([target], options)
    assert result.deep is not None
    assert result.deep.connections == fake.connections, (result.deep.connections, fake.log)


def test_deep_probe_alone_counts_what_the_server_sees() -> None:
    fake = modern()
    obs = deep(fake)
    assert obs.connections == fake.connections


# --- 3. enumeration survives silent closes and flaky connections -------------------------

SUITES12 = [0xC02F, 0xC030, 0x009E, 0x009C, 0x009D, 0x002F, 0x0035]


def _found(obs: DeepObservation, protocol: str) -> set[int]:
    return set(obs.cipher_suites.get(protocol, ()))


def test_a_dropped_first_tls12_probe_is_retried_not_taken_for_no_tls12() -> None:
    """The one-off Dovecot result: the first TLS 1.2 hello met a silent close."""
    fake = modern(silent=True, drop={("0x0303", 1)})
    obs = deep(fake)
    assert obs.protocols["TLSv1.2"] is True, (obs.notes, fake.log)
    assert _found(obs, "TLSv1.2") == set(RSA_SUITES)
    assert not obs.incomplete, obs.notes


def test_a_silent_close_in_the_middle_does_not_end_the_list() -> None:
    for n in (2, 3, 4):
        fake = modern(silent=True, drop={("0x0303", n), ("tls13", 2)})
        obs = deep(fake)
        assert _found(obs, "TLSv1.2") == set(RSA_SUITES), (n, fake.log)
        assert _found(obs, "TLSv1.3") == set(TLS13_SUITES), (n, fake.log)
        assert not obs.incomplete, obs.notes


def test_a_reset_in_the_middle_is_retried() -> None:
    fake = modern(reset={("0x0303", 3), ("tls13", 2)})
    obs = deep(fake)
    assert _found(obs, "TLSv1.2") == set(RSA_SUITES), fake.log
    assert _found(obs, "TLSv1.3") == set(TLS13_SUITES), fake.log


def test_a_suite_the_server_chokes_on_does_not_hide_the_rest() -> None:
    """Dovecot without ssl_dh closes the connection when it picks a DHE suite: the suites
    after it in our list (here plain RSA) must still be found; the DHE one is not accepted."""
    fake = FakeTLS(suites={TLS12: SUITES12}, silent=True, dhe_chokes=frozenset({0x009E}))
    obs = deep(fake)
    assert _found(obs, "TLSv1.2") == set(SUITES12) - {0x009E}, fake.log
    assert obs.protocols["TLSv1.3"] is False
    assert not obs.incomplete, obs.notes


def test_a_server_that_keeps_resetting_is_incomplete_never_truncated() -> None:
    fake = modern(reset={("0x0303", n) for n in range(2, 40)})
    obs = deep(fake)
    assert obs.incomplete and obs.notes
    assert obs.protocols["TLSv1.2"] is True


def test_a_server_that_keeps_closing_says_so() -> None:
    """Closing on every later hello is how some servers refuse: taken as the end of the
    list only after a second look without the DHE suites, and said in the notes."""
    fake = modern(silent=True, drop={("0x0303", n) for n in range(2, 40)})
    obs = deep(fake)
    assert obs.protocols["TLSv1.2"] is True
    assert any("closed the connection instead of refusing" in n for n in obs.notes)
    assert fake.kinds["0x0303"] >= 3, "the close was looked at twice"


# --- 5. the positive paths: servers no real lab server can be ----------------------------

VULNERABLE_IDS = {"protocol.sslv2", "protocol.sslv3", "vuln.heartbleed", "vuln.ccs_injection"}


def _ids(obs: DeepObservation) -> set[str]:
    return {f.id for f in tls_findings(obs)}


def test_sslv2_server_hello_fires_protocol_sslv2() -> None:
    fake = modern(sslv2=[0x010080, 0x0700C0])  # RC4-MD5, DES-CBC3-MD5
    obs = deep(fake)
    assert obs.protocols["SSLv2"] is True
    assert obs.cipher_suites["SSLv2"] == (0x010080, 0x0700C0)
    assert "protocol.sslv2" in _ids(obs)


def test_sslv3_server_hello_fires_protocol_sslv3() -> None:
    fake = FakeTLS(suites={SSL3: [0x002F, 0x0035], TLS12: list(RSA_SUITES)})
    obs = deep(fake)
    assert obs.protocols["SSLv3"] is True, (obs.notes, fake.log)
    assert set(obs.cipher_suites["SSLv3"]) == {0x002F, 0x0035}
    assert obs.protocols["TLSv1"] is False and obs.protocols["TLSv1.1"] is False
    assert "protocol.sslv3" in _ids(obs)


def test_heartbleed_echo_fires_vuln_heartbleed() -> None:
    obs = deep(modern(heartbleed=True))
    assert obs.heartbleed == "vulnerable" and obs.heartbeat is True
    assert "vuln.heartbleed" in _ids(obs)


def test_accepted_early_ccs_fires_vuln_ccs_injection() -> None:
    obs = deep(modern(ccs_injection=True))
    assert obs.ccs_injection == "vulnerable"
    assert "vuln.ccs_injection" in _ids(obs)


def test_a_sound_fake_fires_none_of_them() -> None:
    obs = deep(modern())
    assert obs.heartbleed == "not vulnerable" and obs.ccs_injection == "not vulnerable"
    assert obs.protocols["SSLv2"] is False and obs.protocols["SSLv3"] is False
    assert not _ids(obs) & VULNERABLE_IDS
