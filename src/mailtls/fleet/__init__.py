"""Fleet scans: every MX of many domains, politely, on Dramatiq (a thin layer over scan).

Stages: :mod:`.resolve` (domains -> MX -> addresses, into a :class:`.plan.Plan`), then one
message per address job (:mod:`.queue`, :mod:`.worker`) scanned by
:func:`mailtls.scan.scan_one` under per-address limits (:mod:`.polite`), results stored
idempotently (:mod:`.storage`, :mod:`.pgstore`). See docs/fleet.md.
"""
