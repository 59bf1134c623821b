"""Alembic revisions of the history schema (run by mailtls.store.history, no alembic.ini)."""
