"""Commands printed as fixes are pasted into a shell: every value in them is quoted."""

from __future__ import annotations


def quoted(text: str) -> str:
    """``text`` in single quotes for a POSIX shell, whatever it holds (a quote included):
    a folder or a configuration value can never end the quoting and run a command."""
    return "'" + text.replace("'", "'\"'\"'") + "'"
