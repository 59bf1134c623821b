"""``python -m mailtls``."""

from .cli import early

early.install()  # an interrupt during the imports below: exit 130, no traceback

from .cli.main import main  # noqa: E402

main()
