"""Postfix and Dovecot configuration models: parse, expand, effective values.

Reading is I/O on local files only (and ``postconf -d`` once, for the defaults); the
rules over these models live in ``mailtls.checks.postfix`` and ``mailtls.checks.dovecot``.
The names below load on first use, so that importing ``mailtls.config.files`` (the
catalogue does, for its sentences) does not pull in the parsers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .defaults import Defaults, load_defaults
    from .files import Problem
    from .macro import Expander, MacroError
    from .postfix import PostfixConfig, Service, Setting, load_postfix

_WHERE = {
    "Defaults": "defaults",
    "load_defaults": "defaults",
    "Problem": "files",
    "Expander": "macro",
    "MacroError": "macro",
    "PostfixConfig": "postfix",
    "Service": "postfix",
    "Setting": "postfix",
    "load_postfix": "postfix",
}

__all__ = [
    "Defaults",
    "Expander",
    "MacroError",
    "PostfixConfig",
    "Problem",
    "Service",
    "Setting",
    "load_defaults",
    "load_postfix",
]


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mailtls.config' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
