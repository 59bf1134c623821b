"""History of ``mailtls monitor``: SQLite by default, PostgreSQL by ``postgresql://`` URL.

Public API (used by the monitor, the exporter and, later, Zabbix):

    from mailtls.store import HistoryStore, ObservationRecord, Baseline, StoredAlert
    store = HistoryStore.open(url)            # creates and migrates (Alembic); StoreError
    store.timeline(endpoint, limit)           # newest first, with findings
    store.recent(endpoints, n)                # {endpoint: last n observations}
    store.baselines(endpoints)                # {endpoint: Baseline}
    store.open_alerts()                       # {(endpoint, key): StoredAlert}
    store.add_observation(pass_id, record)    # one transaction per observation
    with store.exclusive(owner): ...          # one daemon per history (StoreBusy)

Errors (mailtls.store.errors): StoreLocked, StoreReadOnly, StoreFull, StoreSchemaTooNew,
StoreBusy, StoreUnavailable; all StoreError, all with a message naming the database.
Tables live in ``schema.py``; every change to them is a new Alembic revision under
``migrations/versions`` and a new ``schema.HEAD``.
"""

from .errors import (
    StoreBusy,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreReadOnly,
    StoreSchemaTooNew,
    StoreUnavailable,
)
from .history import HistoryStore, normalize_url
from .records import Baseline, ObservationRecord, StoredAlert

__all__ = [
    "Baseline",
    "HistoryStore",
    "ObservationRecord",
    "StoreBusy",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreReadOnly",
    "StoreSchemaTooNew",
    "StoreUnavailable",
    "StoredAlert",
    "normalize_url",
]
