"""Reading configuration files safely: size limit, binary data, permissions; never a traceback.

A problem is data (:class:`Problem`, a file, a line and a catalogue sentence), so one bad
file is reported and the rest of the audit goes on.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..catalog.parts.audit import CONFIG_PROBLEMS

#: Larger configuration files are refused: real main.cf files are some kilobytes, and
#: Postfix's own postconf would spend seconds on each run over a larger one.
MAX_CONFIG_BYTES = 8 * 1024 * 1024

# The problems' sentences live in the catalogue (msgids of its audit part): here by key.
P_MISSING = CONFIG_PROBLEMS["missing"]
P_UNREADABLE = CONFIG_PROBLEMS["unreadable"]
P_NOT_FILE = CONFIG_PROBLEMS["not_file"]
P_BINARY = CONFIG_PROBLEMS["binary"]
P_TOO_LARGE = CONFIG_PROBLEMS["too_large"]
P_NO_EQUALS = CONFIG_PROBLEMS["no_equals"]
P_LEADING_SPACE = CONFIG_PROBLEMS["leading_space"]
P_MACRO = CONFIG_PROBLEMS["macro"]
P_LOOP = CONFIG_PROBLEMS["loop"]
P_MASTER_FIELDS = CONFIG_PROBLEMS["master_fields"]
P_MASTER_OPTION = CONFIG_PROBLEMS["master_option"]
P_UNBALANCED = CONFIG_PROBLEMS["unbalanced"]
P_INCLUDE_LOOP = CONFIG_PROBLEMS["include_loop"]
P_INCLUDE_MISSING = CONFIG_PROBLEMS["include_missing"]
P_INCLUDE_DEPTH = CONFIG_PROBLEMS["include_depth"]
P_DOVECOT_SYNTAX = CONFIG_PROBLEMS["dovecot_syntax"]
P_DOVECOT_BLOCK = CONFIG_PROBLEMS["dovecot_block"]
P_VALUE_FILE = CONFIG_PROBLEMS["value_file"]
P_DOVECONF = CONFIG_PROBLEMS["doveconf"]
P_FILTER_NESTING = CONFIG_PROBLEMS["filter_nesting"]
P_UNKNOWN_23 = CONFIG_PROBLEMS["unknown_23"]
P_UNKNOWN_24 = CONFIG_PROBLEMS["unknown_24"]
P_BAD_VALUE = CONFIG_PROBLEMS["bad_value"]

#: problems after which the file could not be audited at all (exit status 3)
FATAL = frozenset({P_MISSING, P_UNREADABLE, P_NOT_FILE, P_BINARY, P_TOO_LARGE})


@dataclass(frozen=True)
class Problem:
    """Something wrong with a configuration file; ``line`` 0 means the file as a whole."""

    file: str
    line: int
    problem: str  # a sentence of the catalogue's CONFIG_PROBLEMS (a msgid)
    context: str = ""  # the offending text, the reference chain, the OS error

    @property
    def fatal(self) -> bool:
        return self.problem in FATAL


def read_config(path: Path, limit: int = MAX_CONFIG_BYTES) -> tuple[str | None, Problem | None]:
    """The text of a configuration file, or the problem that prevents reading it."""
    name = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return None, Problem(name, 0, P_MISSING)
    except OSError as exc:
        return None, Problem(name, 0, P_UNREADABLE, exc.strerror or str(exc))
    if not stat.S_ISREG(st.st_mode):
        return None, Problem(name, 0, P_NOT_FILE)
    if st.st_size > limit:
        return None, Problem(name, 0, P_TOO_LARGE, f"{st.st_size} > {limit} bytes")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        return None, Problem(name, 0, P_UNREADABLE, exc.strerror or str(exc))
    if len(data) > limit:
        return None, Problem(name, 0, P_TOO_LARGE, f"> {limit} bytes")
    if b"\0" in data:
        return None, Problem(name, 0, P_BINARY)
    return data.decode("utf-8", "surrogateescape"), None


def world_readable(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def can_read(path: Path) -> bool:
    return os.access(path, os.R_OK)
