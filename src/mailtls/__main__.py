"""``python -m mailtls``."""

from .cli.main import main

main()
