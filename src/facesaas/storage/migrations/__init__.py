"""Alembic migrations of the metadata database, applied by :func:`upgrade` at start-up."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

__all__ = ["upgrade"]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``. Idempotent; runs under Alembic's version table, so
    several workers starting at once on PostgreSQL serialise on its transactional DDL."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
