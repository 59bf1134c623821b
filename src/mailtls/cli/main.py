"""The ``mailtls`` command group."""

from __future__ import annotations

import sys

import click

from .. import __version__
from .lab import lab_command
from .scan import scan_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mailtls")
def cli() -> None:
    """Certificate and TLS diagnosis for mail servers.

    Never tick "accept all certificates": mailtls tells which check fails
    (issuer, dates, host name) and what to do instead.
    """


cli.add_command(scan_command)
cli.add_command(lab_command)


def main() -> None:
    try:
        cli(prog_name="mailtls")
    except KeyboardInterrupt:
        click.echo("mailtls: interrupted", err=True)
        sys.exit(130)
