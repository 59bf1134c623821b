"""Drivers shared by the dialogue tests: they play the network layer's part.

A server is two byte streams: ``plain`` (before the handshake) and ``tls`` (after it).
The driver feeds them in the chunks it is given, answers StartTLS with tls_established(),
and feeds EOF when a stream runs out before the dialogue ends. Plain bytes left when
StartTLS comes are fed before the handshake, as bytes a network layer had already read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from mailtls.proto import (
    Action,
    Dialogue,
    DialogueResult,
    Failed,
    Finished,
    StartTLS,
    make_dialogue,
)

Chunker = Callable[[bytes], list[bytes]]


@dataclass
class Outcome:
    actions: list[Action]
    result: DialogueResult
    dialogue: Dialogue

    @property
    def last(self) -> Action:
        return self.actions[-1]

    @property
    def sent(self) -> bytes:
        return b"".join(getattr(a, "data", b"") for a in self.actions)


def whole(data: bytes) -> list[bytes]:
    return [data] if data else []


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def drive(
    dialogue: Dialogue,
    plain: bytes,
    tls: bytes = b"",
    plain_chunks: Chunker = whole,
    tls_chunks: Chunker = whole,
) -> Outcome:
    """Run a dialogue against a scripted server until it ends; the actions in order."""
    actions: list[Action] = []
    pending = list(dialogue.start())
    chunks: Iterator[bytes] = iter(plain_chunks(plain))
    while True:
        while pending:
            action = pending.pop(0)
            actions.append(action)
            if isinstance(action, StartTLS):
                for early in chunks:  # what the server sent on the raw stream before the handshake
                    assert dialogue.receive_data(early) == []
                chunks = iter(tls_chunks(tls))
                pending += dialogue.tls_established()
        if actions and isinstance(actions[-1], (Finished, Failed)):
            return Outcome(actions, dialogue.result, dialogue)
        pending = dialogue.receive_data(next(chunks, b""))


def split_variants(plain: bytes, tls: bytes) -> Iterator[tuple[Chunker, Chunker]]:
    """Whole, byte at a time, and two chunks split at every offset of each stream."""
    yield whole, whole
    yield bytewise, bytewise
    for i in range(1, len(plain)):
        yield (lambda d, i=i: [d[:i], d[i:]]), whole
    for j in range(1, len(tls)):
        yield whole, (lambda d, j=j: [d[:j], d[j:]])


def drive_all(make: Callable[[], Dialogue], plain: bytes, tls: bytes = b"") -> Outcome:
    """Drive every split variant; assert they agree; return the whole-stream outcome."""
    first = drive(make(), plain, tls)
    for plain_chunks, tls_chunks in split_variants(plain, tls):
        other = drive(make(), plain, tls, plain_chunks, tls_chunks)
        assert other.actions == first.actions
        assert other.result == first.result
    return first


@pytest.fixture
def run() -> Callable[..., Outcome]:
    """run(protocol, plain, tls=b"", **options): drive all splits, return the outcome."""

    def _run(protocol: str, plain: bytes, tls: bytes = b"", **options: object) -> Outcome:
        options.setdefault("implicit_tls", False)
        return drive_all(lambda: make_dialogue(protocol, **options), plain, tls)  # type: ignore[arg-type]

    return _run
