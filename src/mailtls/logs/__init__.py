"""Postfix and Dovecot TLS log lines: parsers (pure functions over bytes), joins, summaries.

``parse`` (one line -> one event), ``read`` (files, compression, rotated sets, years),
``summary`` (per peer and direction), ``stream`` (the loop tying them together).
"""

from .parse import Event, parse_line
from .stream import Run, read_all
from .summary import PeerStats, Summary

__all__ = ["Event", "PeerStats", "Run", "Summary", "parse_line", "read_all"]
