"""Check an ECS document against tests/logs/data/ecs-8.11-fields.yml (names, types, arrays,
allowed values); ``mailtls.*`` is our own namespace and free."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from pathlib import Path
from typing import Any

import yaml

REFERENCE = Path(__file__).parent / "data" / "ecs-8.11-fields.yml"


@functools.cache
def reference() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(REFERENCE.read_text())["fields"]  # type: ignore[no-any-return]


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in doc.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, name + "."))
        else:
            out[name] = v
    return out


def _typed(kind: str, value: object) -> bool:
    if kind in ("keyword", "wildcard", "match_only_text"):
        return isinstance(value, str)
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        try:
            dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return False
        return isinstance(value, str)
    if kind == "ip":
        try:
            ipaddress.ip_address(str(value))
        except ValueError:
            return False
        return True
    return False


def check_document(doc: dict[str, Any]) -> list[str]:
    """Problems with ``doc`` (empty when it conforms)."""
    problems = []
    fields = reference()
    for name, value in flatten(doc).items():
        if name.startswith("mailtls."):
            continue
        spec = fields.get(name)
        if spec is None:
            problems.append(f"{name}: not an ECS field")
            continue
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not spec.get("array"):
            problems.append(f"{name}: an array where ECS expects one value")
        for v in values:
            if not _typed(spec["type"], v):
                problems.append(f"{name}: {v!r} is not of type {spec['type']}")
            elif "allowed" in spec and v not in spec["allowed"]:
                problems.append(f"{name}: {v!r} is not an allowed value")
    return problems
