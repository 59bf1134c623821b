"""Catalogue part "output": words of the terminal views shared by every command.

Punctuation of the language (a full-width colon and comma in Chinese), the deep view's
legend and its "not applicable", and the sentences with a count (gettext plurals).
"""

from __future__ import annotations

from ..entry import Part

UI_STRINGS: tuple[str, ...] = (
    "{label}: {value}",  # a label and its value (mailtls.cli.lines.pair)
    ", ",  # between the items of a list, as in a summary line
    "{name} ({note})",  # a remark in brackets after a name (mailtls.cli.deep_view)
    "Legend: + strong (AEAD with forward secrecy), ~ fair (CBC or no forward secrecy), "
    "! weak, !! broken; (N) after a certificate: certificates in the chain the server sent; "
    "STARTTLS advertised X/Y: on X of the Y connections made.",
    "not applicable (one protocol version, no fallback)",
    # mailtls lab (mailtls.cli.lab)
    "situation",
    "expected finding",
    "CA: {path}",
    "targets: {path}",
    "Scan it: {command}",
    "Press Ctrl-C to stop.",
    "Lab CA: {path} (trusted with --ca-file, as for a private CA)",
    "MISMATCH {url}: expected {expected}, got {got}",
    "{matched}/{total} diagnoses match what the lab set up",
    "--host must be a loopback address (127.0.0.0/8)",
)

PLURALS: tuple[tuple[str, str], ...] = (
    ("{count} bit", "{count} bits"),
    ("{count} finding", "{count} findings"),
    ("{count} file scanned", "{count} files scanned"),
    ("{count} file not scanned", "{count} files not scanned"),
)

PART = Part("mailtls-output", (), UI_STRINGS, plurals=PLURALS)
