"""An interrupt while mailtls starts (the imports take a moment): a quiet exit 130.

The entry points (``python -m mailtls``, the ``mailtls`` script) install this handler
before anything heavy is imported; ``cli.exits.run`` puts the usual handlers back as soon
as the command line is parsed, and commands then keep their finished work (cli/interrupt.py).
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from .. import __version__

EXIT_INTERRUPTED = 130
_DOC = (
    '{"schema": 1, "tool": {"name": "mailtls", "version": "%s"}, "command": null, '
    '"error": {"id": "cli.interrupted", "message": "interrupted"}, "exit_status": 130}\n'
)


def _early(signum: int, frame: FrameType | None) -> None:
    if any(a in ("--json", "--format=json") for a in sys.argv[1:]):
        os.write(1, (_DOC % __version__).encode())
    os.write(2, b"mailtls: interrupted\n")
    os._exit(EXIT_INTERRUPTED)


def install() -> None:
    """Exit 130 on SIGINT or SIGTERM until ``restore()``."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _early)


def install_for_program() -> None:
    """``install()`` when this process is the ``mailtls`` program (not a test importing it)."""
    if os.path.basename(sys.argv[0]) == "mailtls":
        install()


def restore() -> None:
    """The usual handlers again (KeyboardInterrupt on SIGINT), if ``install()`` ran."""
    if signal.getsignal(signal.SIGINT) is _early:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is _early:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
