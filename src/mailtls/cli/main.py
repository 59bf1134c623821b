"""The ``mailtls`` command group.

Subcommands load lazily: ``mailtls scan`` does not pay for importing the lab, the
linters or the config parsers. A command is one line in COMMANDS: name -> module:attribute.
"""

from __future__ import annotations

import importlib
import sys

from . import early

early.install_for_program()  # before the imports below: an interrupt in them exits 130

import click  # noqa: E402

from .exits import ContractGroup, run  # noqa: E402

COMMANDS: dict[str, str] = {
    "scan": "mailtls.cli.scan:scan_command",
    "lab": "mailtls.cli.lab:lab_command",
    "send": "mailtls.cli.send:send_command",
    "lint": "mailtls.cli.lint:lint_command",
    "audit-config": "mailtls.cli.audit:audit_command",
    "completion": "mailtls.cli.completion:completion_command",
    "devcert": "mailtls.cli.devcert:devcert_command",
    "monitor": "mailtls.cli.monitor:monitor_command",
    "check": "mailtls.cli.check:check_command",
    "logs": "mailtls.cli.logs:logs_command",
    "exporter": "mailtls.cli.exporter:exporter_command",
    "zabbix": "mailtls.cli.zabbix:zabbix_command",
    "mitm": "mailtls.cli.mitm:mitm_command",
    "report": "mailtls.cli.report:report_command",
    "explain": "mailtls.cli.explain:explain_command",
    "domain": "mailtls.cli.domain:domain_command",
    "tlsrpt": "mailtls.cli.tlsrpt:tlsrpt_command",
    "fleet": "mailtls.cli.fleet:fleet_command",
}


class LazyGroup(ContractGroup):
    """A group whose commands are imported when first used (or listed in --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return super().get_command(ctx, cmd_name)
        module, _, attr = spec.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="mailtls", prog_name="mailtls")  # the installed metadata
def cli() -> None:
    """Certificate and TLS diagnosis for mail servers.

    Never tick "accept all certificates": mailtls tells which check fails
    (issuer, dates, host name) and what to do instead.
    """


def main() -> None:
    """Exit statuses, errors and interrupts as cli/exits.py says, for every command."""
    sys.exit(run(cli, sys.argv[1:]))
