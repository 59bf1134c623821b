"""MTA-STS ``id`` changes between runs (RFC 8461 section 3.1), from a small JSON state file.

Senders cache a policy for ``max_age`` and refetch it only when the TXT record's ``id``
changes, so:

* the policy changed but the id did not: senders keep applying the old policy
  (``mtasts.id_unchanged``, medium: e.g. a new MX host refused until max_age ends);
* the id changed but the policy did not: every sender refetches for nothing
  (``mtasts.id_changed_only``, info).

Pure: the CLI reads and writes the file. State (schema 1)::

    {"schema": 1, "domains": {"example.org": {"id": "20240101", "mode": "enforce",
                                              "max_age": 604800, "mx": ["mx.example.org"]}}}

Only domains whose TXT record and policy were both read this run are compared and
remembered; the others keep their previous entry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..catalog import new_finding
from .evaluate import DomainReport

STATE_SCHEMA = 1


class StateError(ValueError):
    """The state file is not one mailtls wrote: the message says what is wrong."""


def parse_state(text: str) -> dict[str, dict[str, Any]]:
    """The per-domain entries of a state file's text ("" for a new file)."""
    if not text.strip():
        return {}
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StateError(f"not JSON ({str(exc)[:100]})") from None
    if not isinstance(doc, dict) or doc.get("schema") != STATE_SCHEMA:
        raise StateError(f'not a mailtls MTA-STS state ({{"schema": {STATE_SCHEMA}, ...}})')
    domains = doc.get("domains")
    if not isinstance(domains, dict) or not all(isinstance(v, dict) for v in domains.values()):
        raise StateError('"domains" must map each domain to an object')
    return domains


def render_state(domains: dict[str, dict[str, Any]]) -> str:
    return json.dumps({"schema": STATE_SCHEMA, "domains": domains}, indent=1, sort_keys=True)


def _entry(report: DomainReport) -> dict[str, Any] | None:
    policy, record_id = report.sts.policy, report.sts.record.id
    if policy is None or not record_id:
        return None
    return {"id": record_id, "mode": policy.mode, "max_age": policy.max_age,
            "mx": sorted(set(policy.mx))}  # fmt: skip


def _changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    return ", ".join(k for k in ("mode", "max_age", "mx") if old.get(k) != new[k])


def compare(reports: Sequence[DomainReport], state: dict[str, dict[str, Any]]
            ) -> tuple[list[DomainReport], dict[str, dict[str, Any]]]:  # fmt: skip
    """The reports with the id findings added, and the state to write back."""
    out, new_state = [], dict(state)
    for report in reports:
        entry = _entry(report)
        if entry is None:
            out.append(report)
            continue
        old = state.get(report.domain)
        new_state[report.domain] = entry
        if old is None:
            out.append(report)
            continue
        changed = _changes(old, entry)
        found = []
        if changed and old.get("id") == entry["id"]:
            found.append(new_finding("mtasts.id_unchanged", domain=report.domain,
                                     id=entry["id"], changed=changed))  # fmt: skip
        elif not changed and old.get("id") != entry["id"]:
            found.append(new_finding("mtasts.id_changed_only", domain=report.domain,
                                     old_id=str(old.get("id", ""))[:40], id=entry["id"]))
        out.append(replace(report, findings=report.findings + tuple(found)))
    return out, new_state
