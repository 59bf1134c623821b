"""Postfix and Dovecot configuration models: parse, expand, effective values.

Reading is I/O on local files only (and ``postconf -d`` once, for the defaults); the
rules over these models live in ``mailtls.checks.postfix`` and ``mailtls.checks.dovecot``.
"""

from .defaults import Defaults, load_defaults
from .files import Problem
from .macro import Expander, MacroError
from .postfix import PostfixConfig, Service, Setting, load_postfix

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
