"""Every catalogue part. A new area adds its module here, and nothing else changes."""

from ..entry import Part
from . import client, lint, scan

PARTS: tuple[Part, ...] = (scan.PART, client.PART, lint.PART)
