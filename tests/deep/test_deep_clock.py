"""The deep scan's back-off and gentle pauses, checked with an injected clock: no test
sleeps through real back-off, and the delays asserted are exactly the ones configured."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from mailtls.model import ProbeOutcome, Target
from mailtls.net.deep.runner import Budget, Runner
from mailtls.net.stream import Stream


@contextlib.asynccontextmanager
async def throttling() -> AsyncIterator[int]:
    """An SMTP server that answers every connection with 421 (too many connections)."""

    async def answer(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"421 4.7.0 too many connections, try later\r\n")
        with contextlib.suppress(OSError):
            await w.drain()
        w.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds
        await asyncio.sleep(0)


async def _never(stream: Stream) -> object:  # pragma: no cover - the server never gets here
    return object()


def test_backoff_doubles_up_to_its_cap_without_waiting() -> None:
    clock = FakeClock()

    async def main() -> Runner:
        async with throttling() as port:
            budget = Budget(retries=4, backoff=0.5, max_backoff=1.5, timeout=5)
            runner = Runner(Target("smtp", "127.0.0.1", port), budget,
                            sleep=clock.sleep, monotonic=clock.monotonic)  # fmt: skip
            result, _ = await runner.session(_never, what="probe")
            assert result is None
            return runner

    runner = asyncio.run(main())
    assert clock.slept == [0.5, 1.0, 1.5, 1.5]  # doubling, capped; none after the last try
    assert runner.connections == 5
    assert [f.outcome for f in runner.outcomes] == [ProbeOutcome.THROTTLED]


def test_gentle_pause_between_connections() -> None:
    clock = FakeClock()

    async def main() -> None:
        async with throttling() as port:
            budget = Budget(retries=0, gentle=True, pause=0.3, timeout=5)
            runner = Runner(Target("smtp", "127.0.0.1", port), budget,
                            sleep=clock.sleep, monotonic=clock.monotonic)  # fmt: skip
            for _ in range(3):
                await runner.session(_never, what="probe")

    asyncio.run(main())
    # the first connection waits for nobody; each next one for the pause after the last close
    assert clock.slept == [0.3, 0.3]
