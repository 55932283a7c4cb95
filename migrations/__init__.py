"""Alembic migrations (a package, so the installed bot finds them next to its code)."""
