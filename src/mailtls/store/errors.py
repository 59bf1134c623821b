"""Named errors of the history database (each a ``mailtls.errors.MailtlsError``).

    StoreError
    ├── StoreLocked        another process holds a write lock longer than the timeout
    ├── StoreReadOnly      the database (file, directory or server) refuses writes
    ├── StoreFull          the disk or the database's quota is full
    ├── StoreSchemaTooNew  written by a newer mailtls: this one will not touch it
    ├── StoreBusy          another daemon (or pass) owns this history
    └── StoreUnavailable   cannot be opened or reached at all

:func:`translate` maps a driver's exception (sqlite3, psycopg, through SQLAlchemy) to one of
them; the transaction it interrupted was rolled back, so no half-written row stays.
"""

from __future__ import annotations

import errno

from ..errors import MailtlsError


class StoreError(MailtlsError):
    """The history database cannot do what was asked; the message says why."""


class StoreLocked(StoreError):
    pass


class StoreReadOnly(StoreError):
    pass


class StoreFull(StoreError):
    pass


class StoreSchemaTooNew(StoreError):
    pass


class StoreBusy(StoreError):
    pass


class StoreUnavailable(StoreError):
    pass


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None) or "")


def translate(exc: BaseException, where: str) -> StoreError:
    """The named StoreError for a driver error raised while using the database ``where``."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    low, state = text.lower(), _sqlstate(orig)
    if "locked" in low or "busy" in low or state in ("55P03", "40P01"):
        return StoreLocked(f"history database {where} is locked by another process ({text})")
    if "readonly" in low or "read-only" in low or state == "25006":
        return StoreReadOnly(f"history database {where} is read-only ({text})")
    if ("full" in low or state.startswith("53")
            or getattr(orig, "errno", None) == errno.ENOSPC):
        return StoreFull(f"history database {where}: disk or database full ({text}); "
                         "nothing of the interrupted write was kept")
    return StoreUnavailable(f"history database {where}: {text}")
