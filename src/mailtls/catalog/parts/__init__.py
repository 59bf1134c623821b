"""Every catalogue part. A new area adds its module here, and nothing else changes."""

from ..entry import Part
from . import (
    audit,
    cli,
    client,
    deep,
    devcert,
    grade,
    lint,
    mitm,
    monitor,
    output,
    plugins,
    scan,
)
from . import domain as domain_part
from . import fleet as fleet_part
from . import logs as logs_part
from . import report as report_part

PARTS: tuple[Part, ...] = (
    scan.PART, client.PART, lint.PART, audit.PART, grade.PART, deep.PART, output.PART,
    monitor.PART, plugins.PART, cli.PART, devcert.PART, mitm.PART, logs_part.PART,
    report_part.PART, domain_part.PART, fleet_part.PART,
)
