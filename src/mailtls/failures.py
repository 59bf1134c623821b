"""Failure isolation: an exception that escapes one target (or one file) becomes its finding.

Every boundary that works on many independent inputs (each scan target, each audited
configuration, each linted file) catches what escapes the work on one input and turns it
into ``scan.internal_error`` for that input alone: the others are still reported. The
finding is critical in the catalogue, but exit statuses count it as "could not be tested"
(3), since it says nothing about the server or the file.

The traceback goes to the ``mailtls`` logger at DEBUG level; ``MAILTLS_DEBUG=1`` makes
the command line print it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from . import __version__
from .catalog import new_finding
from .model import Finding, Location, ScanResult, Target

INTERNAL_ERROR = "scan.internal_error"

# Phases (catalogue sentences, translated as the finding's "phase" param).
PROBING = "probing the server"
DEEP_SCANNING = "running the deep scan"
CHECKING = "checking the results"
GRADING = "grading"
REPORTING = "preparing the report"
READING_CONFIG = "reading the configuration"
AUDITING_CONFIG = "auditing the configuration"

_MAX_MESSAGE = 400
log = logging.getLogger("mailtls")


def exception_text(exc: BaseException) -> str:
    """``Type: message`` on one line, bounded (a message may hold a whole certificate)."""
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def internal_error(
    exc: BaseException, phase: str, *, primary: bool = True, location: Location | None = None
) -> Finding:
    """The finding for ``exc``, raised while ``phase``; the traceback goes to the log."""
    log.debug("internal error while %s", phase, exc_info=exc)
    return new_finding(
        INTERNAL_ERROR,
        primary=primary,
        location=location,
        phase=phase,
        error=exception_text(exc),
        version=__version__,
    )


def failed_result(
    target: Target, exc: BaseException, phase: str, base: ScanResult | None = None
) -> ScanResult:
    """``base`` (what was found before the failure, if anything) marked not tested, with the
    internal error; primary unless ``base`` already names its primary cause."""
    if base is None:
        return ScanResult(
            target=target,
            address=target.address,
            tls_version=None,
            cipher=None,
            certificate=None,
            chain=(),
            findings=(internal_error(exc, phase),),
            tested=False,
        )
    primary = not any(f.primary for f in base.findings)
    finding = internal_error(exc, phase, primary=primary)
    return replace(base, findings=(*base.findings, finding), tested=False)


def is_internal(finding: Finding) -> bool:
    return finding.id == INTERNAL_ERROR
