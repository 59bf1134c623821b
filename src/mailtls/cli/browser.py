"""Headless Chromium for ``mailtls report --pdf`` (and the report's tests).

Chromium comes from the OS (Debian: ``apt-get install chromium``); ``MAILTLS_CHROMIUM``
names another binary. Each run has a fresh profile directory, no sandbox (it runs as
root in CI), no GPU, and none of Chromium's own network traffic (component updates,
sync, first-run pings); host names resolve to nothing, so a page could reach nothing even
if it tried (the report's page forbids it anyway).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-extensions", "--disable-dev-shm-usage", "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
)
TIMEOUT = 120.0


class ChromiumError(RuntimeError):
    """Chromium is missing, failed or hung; the message says which and what to do."""


def find_chromium() -> str | None:
    named = os.environ.get("MAILTLS_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def run(page: Path, *extra: str, binary: str | None = None,
        timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Chromium on the local file ``page`` with ``extra`` flags; stdout and stderr kept."""
    exe = binary or find_chromium()
    if exe is None:
        raise ChromiumError("no Chromium found (Debian: apt-get install chromium; or set "
                            "MAILTLS_CHROMIUM to its path)")
    with tempfile.TemporaryDirectory(prefix="mailtls-chromium-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
        try:
            return subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                  timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            raise ChromiumError(f"Chromium did not finish within {timeout:.0f} s") from None
        except OSError as exc:
            raise ChromiumError(f"cannot run {exe}: {exc.strerror}") from None


def print_pdf(page: Path, pdf: Path, binary: str | None = None) -> None:
    """Print ``page`` to ``pdf`` (A4, the page's print styles, no header or footer)."""
    pdf = pdf.resolve()
    done = run(page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", binary=binary)
    if not pdf.is_file() or pdf.stat().st_size == 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ChromiumError(f"Chromium wrote no PDF (exit {done.returncode}: {last})")
