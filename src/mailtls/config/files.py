"""Reading configuration files safely: size limit, binary data, permissions; never a traceback.

A problem is data (:class:`Problem`, a file, a line and a catalogue sentence), so one bad
file is reported and the rest of the audit goes on.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

#: Larger configuration files are refused: real main.cf files are some kilobytes, and
#: Postfix's own postconf would spend seconds on each run over a larger one.
MAX_CONFIG_BYTES = 8 * 1024 * 1024

# The sentences of problems (msgids of the audit catalogue part's ui_strings).
P_MISSING = "The file does not exist."
P_UNREADABLE = "The file cannot be read."
P_NOT_FILE = "This is not a regular file."
P_BINARY = "This is not a text file (it contains NUL bytes)."
P_TOO_LARGE = "The file is too large for a configuration file."
P_NO_EQUALS = "Missing '=' after the parameter name: Postfix refuses this line."
P_LEADING_SPACE = "A logical line must not start with white space: Postfix ignores this line."
P_MACRO = "Postfix cannot expand this value."
P_LOOP = "Recursive parameter reference: Postfix stops with 'unreasonable macro call nesting'."
P_MASTER_FIELDS = "A master.cf entry needs 8 fields; Postfix refuses this entry."
P_MASTER_OPTION = "An -o option needs name=value; Postfix ignores it."
P_UNBALANCED = "Unbalanced '{' or '}'."
P_INCLUDE_LOOP = "This !include includes itself (an include loop)."
P_INCLUDE_MISSING = "The included file does not exist or cannot be read."
P_INCLUDE_DEPTH = "Includes are nested too deeply."
P_DOVECOT_SYNTAX = "Dovecot cannot parse this line."
P_DOVECOT_BLOCK = "A block is not closed with '}' before the end of the file."
P_VALUE_FILE = "The file named by this '<' value cannot be read."

PROBLEM_SENTENCES = (
    P_MISSING, P_UNREADABLE, P_NOT_FILE, P_BINARY, P_TOO_LARGE, P_NO_EQUALS, P_LEADING_SPACE,
    P_MACRO, P_LOOP, P_MASTER_FIELDS, P_MASTER_OPTION, P_UNBALANCED, P_INCLUDE_LOOP,
    P_INCLUDE_MISSING, P_INCLUDE_DEPTH, P_DOVECOT_SYNTAX, P_DOVECOT_BLOCK, P_VALUE_FILE,
)
#: problems after which the file could not be audited at all (exit status 3)
FATAL = frozenset({P_MISSING, P_UNREADABLE, P_NOT_FILE, P_BINARY, P_TOO_LARGE})


@dataclass(frozen=True)
class Problem:
    """Something wrong with a configuration file; ``line`` 0 means the file as a whole."""

    file: str
    line: int
    problem: str  # one of PROBLEM_SENTENCES
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
