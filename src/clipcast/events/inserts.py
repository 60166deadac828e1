"""INSERT … ON CONFLICT DO NOTHING on the two databases clipcast runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_new(
    session: AsyncSession,
    table: Table,
    values: dict[str, Any] | list[dict[str, Any]],
    keys: list[str],
) -> postgresql.Insert | sqlite.Insert:
    """An insert (of one row or many) that skips rows whose `keys` already exist, leaving
    the transaction usable.

    Checking first and inserting after would race with another process; a caught
    IntegrityError would abort the whole PostgreSQL transaction. This does neither.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing(index_elements=keys)
    if dialect == "sqlite":
        return sqlite.insert(table).values(values).on_conflict_do_nothing(index_elements=keys)
    raise ValueError(f"clipcast supports SQLite and PostgreSQL, not {dialect}")
