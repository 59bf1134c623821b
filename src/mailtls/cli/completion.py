"""``mailtls completion SHELL``: the shell completion script, from click's own completion.

The script is the one ``_MAILTLS_COMPLETE=bash_source mailtls`` prints; this command
only saves remembering that variable. Completion itself runs ``mailtls`` with
``_MAILTLS_COMPLETE`` set, which click answers before any command runs.
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
PROG = "mailtls"
VAR = "_MAILTLS_COMPLETE"


def script(shell: str) -> str:
    """The completion script for ``shell`` (one of :data:`SHELLS`)."""
    from .main import cli

    complete = get_completion_class(shell)
    if complete is None:  # click dropped a shell: say so instead of a traceback
        raise click.UsageError(f"click has no completion for {shell}")
    return complete(cli, {}, PROG, VAR).source()


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion_command(shell: str) -> None:
    """Print the shell completion script for SHELL (bash, zsh or fish).

    \b
    bash: eval "$(mailtls completion bash)"        in ~/.bashrc
    zsh:  eval "$(mailtls completion zsh)"         in ~/.zshrc
    fish: mailtls completion fish > ~/.config/fish/completions/mailtls.fish
    """
    click.echo(script(shell), nl=False)
