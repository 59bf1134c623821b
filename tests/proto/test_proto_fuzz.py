"""Fuzzing: whatever a server sends, in whatever chunks, nothing raises and the dialogue ends
with exactly one terminal action, after which it stays silent."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtls.proto import Action, Failed, Finished, Send, StartTLS, make_dialogue

# Lines each protocol really uses, so the fuzzer gets past the greeting.
VOCABULARY = {
    "smtp": [
        b"220 mail.example.com ESMTP Postfix\r\n",
        b"220-postscreen\r\n",
        b"250-mx\r\n",
        b"250-STARTTLS\r\n",
        b"250 STARTTLS\r\n",
        b"250 SIZE 1\r\n",
        b"220 2.0.0 Ready\r\n",
        b"421 4.7.0 bye\r\n",
        b"454 4.7.0 no TLS\r\n",
        b"250\n",
        b"220\r\n",
        b"\r\n",
    ],
    "imap": [
        b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
        b"* OK ready\r\n",
        b"* CAPABILITY IMAP4rev1 STARTTLS\r\n",
        b"a1 OK done\r\n",
        b"a2 OK go\r\n",
        b"a3 OK done\r\n",
        b"a2 NO no\r\n",
        b"* BYE bye\r\n",
        b"* PREAUTH hi\r\n",
        b"+ more\r\n",
        b"* X {3}\r\n",
        b"a1 OK [CAPABILITY STARTTLS] x\r\n",
    ],
    "pop3": [
        b"+OK Dovecot ready.\r\n",
        b"+OK\r\n",
        b"STLS\r\n",
        b"SASL PLAIN\r\n",
        b".\r\n",
        b"..dot\r\n",
        b"-ERR no\r\n",
        b"+OK Begin TLS\r\n",
        b"\r\n",
    ],
    "sieve": [
        b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n',
        b'"STARTTLS"\r\n',
        b'"SASL" ""\r\n',
        b'OK "ready"\r\n',
        b"OK\r\n",
        b'NO "no"\r\n',
        b'BYE "bye"\r\n',
        b'"X" {3}\r\n',
        b'"a\\"b" "c\\\\"\r\n',
        b"(\r\n",
    ],
}


def pieces(protocol: str) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=40), st.sampled_from(VOCABULARY[protocol]))


def play(
    protocol: str,
    implicit: bool,
    stream: bytes,
    cuts: list[int],
    limits: dict[str, int],
    post: bool,
) -> list[Action]:
    d = make_dialogue(protocol, implicit_tls=implicit, post_tls_capabilities=post, **limits)
    actions = d.start()
    if actions == [StartTLS()]:
        actions += d.tls_established()
    bounds = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)] + [b""]
    for chunk in chunks:
        got = d.receive_data(chunk)
        assert d._reader.buffered <= d._reader.max_line
        if got and isinstance(got[-1], StartTLS):
            got += d.tls_established()
        assert all(isinstance(a, Send | StartTLS | Finished | Failed) for a in got)
        if any(isinstance(a, Finished | Failed) for a in actions):
            assert got == []
        actions += got
    terminal = [a for a in actions if isinstance(a, Finished | Failed)]
    assert len(terminal) == 1 and actions[-1] is terminal[0]
    assert d.finished
    assert len(d.result.transcript) <= 200
    assert all(len(line) <= 500 for _, line in d.result.transcript)
    return actions


@pytest.mark.parametrize("protocol", ["smtp", "imap", "pop3", "sieve"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    implicit=st.booleans(),
    post=st.booleans(),
    data=st.data(),
)
def test_random_input_never_raises(protocol, implicit, post, data):
    stream = b"".join(data.draw(st.lists(pieces(protocol), max_size=25)))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=10_000), max_size=8))
    limits = data.draw(
        st.sampled_from([{}, {"max_line": 16, "max_reply_bytes": 64}, {"max_reply_bytes": 100}])
    )
    play(protocol, implicit, stream, cuts, limits, post)


@pytest.mark.parametrize("protocol", ["smtp", "imap", "pop3", "sieve"])
@settings(max_examples=100, deadline=None)
@given(stream=st.binary(max_size=2000), cut=st.integers(min_value=0, max_value=2000))
def test_raw_bytes_split_anywhere_agree(protocol, stream, cut):
    """Two chunks or one: the same actions up to the handshake (after it, where the cut
    falls decides which bytes came before the handshake and which after)."""
    one = play(protocol, False, stream, [], {}, True)
    two = play(protocol, False, stream, [cut], {}, True)
    assert until_tls(one) == until_tls(two)


def until_tls(actions: list[Action]) -> list[Action]:
    for i, action in enumerate(actions):
        if isinstance(action, StartTLS):
            return actions[: i + 1]
    return actions


# Whole good dialogues (plain, tls): mutated, they reach every state.
DIALOGUES = {
    "smtp": (
        b"220-mx ESMTP\r\n220 mx ESMTP\r\n250-mx\r\n250-SIZE 1\r\n250 STARTTLS\r\n220 go\r\n",
        b"250-mx\r\n250 AUTH PLAIN\r\n",
    ),
    "imap": (
        b"* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 OK go\r\n",
        b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na3 OK done\r\n",
    ),
    "pop3": (
        b"+OK ready\r\n+OK\r\nSTLS\r\nUSER\r\n.\r\n+OK go\r\n",
        b"+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n",
    ),
    "sieve": (
        b'"IMPLEMENTATION" "x"\r\n"STARTTLS"\r\nOK "ready"\r\nOK "go"\r\n',
        b'"IMPLEMENTATION" "x"\r\n"SASL" "PLAIN"\r\nOK "tls"\r\n',
    ),
}


@pytest.mark.parametrize("protocol", ["smtp", "imap", "pop3", "sieve"])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_dialogues_never_raise(protocol, data):
    plain, tls = DIALOGUES[protocol]
    stream = bytearray(plain + tls)
    for _ in range(data.draw(st.integers(min_value=0, max_value=3))):
        at = data.draw(st.integers(min_value=0, max_value=len(stream)))
        stream[at : at + data.draw(st.integers(0, 4))] = data.draw(st.binary(max_size=6))
    cuts = [len(plain), *data.draw(st.lists(st.integers(0, 500), max_size=6))]
    play(protocol, False, bytes(stream), cuts, {}, data.draw(st.booleans()))


@pytest.mark.parametrize("protocol", ["smtp", "imap", "pop3", "sieve"])
def test_unmutated_dialogue_finishes(protocol):
    plain, tls = DIALOGUES[protocol]
    actions = play(protocol, False, plain + tls, [len(plain)], {}, True)
    assert StartTLS() in actions and actions[-1] == Finished()
