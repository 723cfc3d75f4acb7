"""Writing to the append-only record tables behind the application's back, as an intruder
with database access would: on PostgreSQL as a superuser who switches the triggers off for
the transaction, on SQLite by dropping the triggers and putting them back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

TRIGGERS = ("SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE '%append_only%'")


@contextmanager
def records_writable(using=connection) -> Iterator[None]:
    with transaction.atomic(using=using.alias), using.cursor() as cursor:
        if using.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            yield
            cursor.execute("SET LOCAL session_replication_role = origin")
            return
        cursor.execute(TRIGGERS)
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        yield
        for _name, sql in triggers:
            cursor.execute(sql)


def tamper(sql: str, params=()) -> None:
    with records_writable(), connection.cursor() as cursor:
        cursor.execute(sql, params)
