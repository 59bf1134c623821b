"""Catalogue part "cli": the words of ``--help`` and of click's own messages (mailtls-cli).

The help texts of the commands are not listed here: tools/i18n.py extracts them from the
command tree (mailtls.cli.help_i18n.help_texts) into this domain's .po, so a help text
changes in one place, its command. Listed here are the words click itself says through
gettext (its msgids, exactly as click 8 writes them), which the same domain translates.
"""

from __future__ import annotations

from ..entry import Part

CLICK_STRINGS: tuple[str, ...] = (
    "Usage:",
    "Options",
    "Commands",
    "Show this message and exit.",
    "Show the version and exit.",
    "Error: {message}",
    "Try '{command} {option}' for help.",
    "No such option {name!r}.",
    "No such command {name!r}.",
    "Missing argument",
    "Missing option",
    "Missing command.",
    "Missing parameter",
    "Invalid value for {param_hint}: {message}",
    "Invalid value: {message}",
    "Option {name!r} does not take a value.",
    "Choose from:\n\t{choices}",
    "{value!r} is not a valid {number_type}.",
    "{value} is not in the range {range}.",
    "{name} {filename!r} does not exist.",
    "{name} {filename!r} is a directory.",
    "{name} {filename!r} is not readable.",
    "{name} {filename!r} is not writable.",
    "{name} {filename!r} is a file.",
    "Could not open file {filename!r}: {message}",
    "{value!r} is not a valid boolean. Recognized values: {states}",
    "file",
    "directory",
    "path",
    "default: {default}",
    "required",
    "Aborted!",
)
CLICK_PLURALS: tuple[tuple[str, str], ...] = (
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    ("{value!r} does not match the format {format}.",
     "{value!r} does not match the formats {formats}."),
)
#: our own: the colon click writes after a heading ("Options:"), full-width in Chinese
OWN_STRINGS: tuple[str, ...] = ("{heading}:",)

PART = Part("mailtls-cli", (), CLICK_STRINGS + OWN_STRINGS, plurals=CLICK_PLURALS)
