"""``mailtls monitor``: a scan with memory. Inventory, passes, alert rules over history.

Public API (the exporter, ``mailtls check`` and Zabbix reuse these; nothing here prints):

    from mailtls.monitor import load_inventory, run_pass, accept, Inventory, Endpoint
    inv = load_inventory(Path("mail.toml"))        # InventoryError: file:line: what
    store = HistoryStore.open(inv.history_url)      # mailtls.store
    report = await run_pass(inv, store, now=None)   # PassReport: results, records, alerts,
                                                    #   raised, resolved (state changes)
    endpoints, errors = await expand(inv)           # [[domain]] MX-expanded, deduplicated
    accept(store, "smtp://mx.example.com:25", who, why, now)   # a new baseline

Modules: inventory (TOML -> Inventory), records (ScanResult -> ObservationRecord),
rules (pure alert rules: records + baseline + limits + now -> Alert), passes (one pass and
the alert state machine), notify (stdout, webhook, e-mail), daemon (schedule, signals).
"""

from .inventory import (
    EXAMPLE,
    Domain,
    Endpoint,
    Inventory,
    InventoryError,
    Thresholds,
    load_inventory,
)
from .passes import PassReport, accept, expand, run_pass
from .rules import Alert

__all__ = [
    "EXAMPLE",
    "Alert",
    "Domain",
    "Endpoint",
    "Inventory",
    "InventoryError",
    "PassReport",
    "Thresholds",
    "accept",
    "expand",
    "load_inventory",
    "run_pass",
]
