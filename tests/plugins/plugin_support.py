"""Helpers of the monitoring plugins' tests: run mailtls as a user does, find lab endpoints."""

from __future__ import annotations

import os
import subprocess
import sys

from mailtls.lab.servers import Lab

MAILTLS = [sys.executable, "-m", "mailtls"]


def lab_url(lab: Lab, name: str) -> str:
    return next(e.url for e in lab.endpoints if e.name == name)


def mailtls(*args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": lang, "LANGUAGE": "", "LC_ALL": ""}
    return subprocess.run([*MAILTLS, *args], capture_output=True, text=True, timeout=120,
                          env=env, stdin=subprocess.DEVNULL)
