"""The Dramatiq side: broker, the address actor, enqueueing with bounded depth, workers.

``--broker redis://HOST:PORT/DB``: the Redis broker; absent: the stub broker and an
in-process worker, one machine, no Redis.

A dead worker's messages (the ones it had fetched, in its ``__acks__`` sets) go back on
their queue only when some process runs the broker's *maintenance* for that queue, and
Dramatiq runs it by chance: ``maintenance_chance`` commands in a million, per queue
named by the command. A worker holds delayed messages (the fleet's re-queued jobs:
lock busy, no token, back-off) from the delay queue ``QUEUE.DQ``, up to a thousand per
thread, so that a killed worker could hold most of a scan for hours. Each fleet worker
therefore runs :class:`Maintainer`: maintenance of both queues every quarter of the
heartbeat timeout, which also keeps its own heartbeat fresh while every thread is busy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO

from .plan import Job, Plan
from .storage import FleetStorage
from .worker import Runner, Settings

QUEUE = "mailtls-fleet"
ACTOR = "mailtls_fleet_scan_address"


@dataclass
class Fleet:
    broker: dramatiq.Broker
    actor: dramatiq.Actor[[dict[str, Any], dict[str, Any]], None]
    runner: Runner
    redis_url: str | None

    def send(self, settings: Settings, job: Job, delay: float = 0.0) -> None:
        self.actor.send_with_options(args=(settings.to_dict(), job.to_dict()),
                                     delay=int(delay * 1000) or None)  # fmt: skip

    def depth(self) -> int:
        """Messages queued, delayed or in flight (the bound of ``enqueue --max-depth``)."""
        if isinstance(self.broker, StubBroker):
            return sum(self.broker.queues[q].unfinished_tasks for q in self.broker.queues)
        redis_broker: Any = self.broker
        client, ns = redis_broker.client, redis_broker.namespace
        return int(client.hlen(f"{ns}:{QUEUE}.msgs")) + int(client.hlen(f"{ns}:{QUEUE}.DQ.msgs"))


def make_fleet(redis_url: str | None, *, heartbeat_ms: int = 60_000,
               maintenance_chance: int = 1000, max_retries: int = 5) -> Fleet:  # fmt: skip
    """The broker for ``redis_url`` (None: in-process) and the address actor on it."""
    broker: dramatiq.Broker
    if redis_url is None:
        broker = StubBroker()
    else:
        broker = _redis_broker_class()(url=redis_url, heartbeat_timeout=heartbeat_ms,
                                       maintenance_chance=maintenance_chance)  # fmt: skip
    broker.add_middleware(AsyncIO())
    dramatiq.set_broker(broker)
    runner = Runner(redis_url)
    fleet: Fleet

    async def scan_address(settings: dict[str, Any], job: dict[str, Any]) -> None:
        outcome = await runner.handle(settings, job)
        if outcome.rest is not None:
            fleet.send(Settings.from_dict(settings), outcome.rest, outcome.delay)

    actor = dramatiq.actor(broker=broker, actor_name=ACTOR, queue_name=QUEUE,
                           max_retries=max_retries, min_backoff=1000, max_backoff=60_000,
                           time_limit=3_600_000)(scan_address)  # fmt: skip
    fleet = Fleet(broker, actor, runner, redis_url)
    return fleet


def _untyped(cls: Any) -> Any:
    return cls


#: the dispatch command that does maintenance and nothing else (dispatch.lua runs the
#: maintenance block first, then matches the command: an unknown one does nothing more)
MAINTAIN = "maintain"


def _redis_broker_class() -> Any:
    from dramatiq.brokers.redis import RedisBroker

    class FleetRedisBroker(_untyped(RedisBroker)):  # type: ignore[misc]
        """Dramatiq's Redis broker, with maintenance on demand (``do_maintain(queue)``)."""

        def _should_do_maintenance(self, command: str) -> int:
            return 1 if command == MAINTAIN else int(super()._should_do_maintenance(command))

    return FleetRedisBroker


class Maintainer(threading.Thread):
    """Runs the Redis broker's maintenance of the fleet's queues every ``interval`` s."""

    def __init__(self, broker: Any, interval: float) -> None:
        super().__init__(name="mailtls-fleet-maintainer", daemon=True)
        self.broker, self.interval = broker, interval
        self.stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        from dramatiq.common import dq_name

        while not self.stopped.wait(self.interval):
            for queue in (QUEUE, dq_name(QUEUE)):
                try:
                    self.broker.do_maintain(queue)
                except Exception:  # Redis away for a while: try again next time
                    continue
            self.runs += 1

    def stop(self) -> None:
        self.stopped.set()
        self.join(5)


@dataclass(frozen=True)
class Enqueued:
    planned: int  # endpoints in the plan
    already_done: int  # skipped: results already stored
    jobs: int  # messages sent
    endpoints: int  # endpoints in those messages


def enqueue(
    fleet: Fleet, plan: Plan, storage: FleetStorage, settings: Settings, *, seed: int = 0,
    batch: int = 0, max_depth: int = 10_000, sleep: Callable[[float], None] = time.sleep,
) -> Enqueued:
    """Record the plan (domains -> endpoints), then send every job not yet done, in the
    seeded shuffled order, waiting while the queue holds ``max_depth`` messages."""
    rows = plan.mapping_rows()
    undomained = [("", a, e.port, e.sni) for a, eps in plan.by_address.items() for e in eps
                  if (a, e.port, e.sni) not in plan.domains]  # fmt: skip
    storage.add_domains(plan.scan_id, rows + undomained)
    done = storage.done_keys(plan.scan_id)
    jobs = plan.jobs(seed, done, batch)
    for job in jobs:
        while fleet.depth() >= max_depth:
            sleep(0.2)
        fleet.send(settings, job)
    return Enqueued(plan.endpoint_count, len(done), len(jobs),
                    sum(len(j.endpoints) for j in jobs))  # fmt: skip


class FleetWorker:
    """A started Dramatiq worker on the fleet's queue, with its :class:`Maintainer`."""

    def __init__(self, fleet: Fleet, threads: int) -> None:
        self.worker = dramatiq.Worker(fleet.broker, queues={QUEUE}, worker_threads=threads,
                                      worker_timeout=100)  # fmt: skip
        self.maintainer: Maintainer | None = None
        if not isinstance(fleet.broker, StubBroker):
            timeout = float(getattr(fleet.broker, "heartbeat_timeout", 60_000)) / 1000
            self.maintainer = Maintainer(fleet.broker, max(0.2, timeout / 4))
        self.worker.start()
        if self.maintainer is not None:
            self.maintainer.start()

    def join(self) -> None:
        self.worker.join()

    def stop(self) -> None:
        if self.maintainer is not None:
            self.maintainer.stop()
        self.worker.stop()


def worker(fleet: Fleet, threads: int = 16) -> FleetWorker:
    """A started worker on the fleet's queue (stop it with ``.stop()``)."""
    return FleetWorker(fleet, threads)


def run_local(fleet: Fleet, send_all: Callable[[], Enqueued], threads: int = 16,
              wait: Sequence[int] = ()) -> Enqueued:  # fmt: skip
    """Single machine: an in-process worker drains what ``send_all`` enqueues."""
    del wait
    w = worker(fleet, threads)
    try:
        sent = send_all()
        fleet.broker.join(QUEUE, fail_fast=True)  # type: ignore[call-arg]
        w.join()
    finally:
        w.stop()
    return sent
