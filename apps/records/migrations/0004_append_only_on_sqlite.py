"""On SQLite too the database itself refuses UPDATE and DELETE of field records.

The same tables as migration 0002 on PostgreSQL, with SQLite triggers that abort the
statement. SQLite has no roles, so whoever holds the database file can drop them: they
stop a bug, a shell session or a stray SQL statement, and the signed anchors and their
witness copies (apps.records.witness) catch anything done by dropping them. A migration
that makes SQLite rebuild one of these tables drops its triggers: the tests check that
every record table has them after all migrations.
"""

from django.db import migrations

TABLES = [
    "records_chainentry", "records_chainanchor", "records_patrol", "records_patrolmember",
    "records_patrolend", "records_patrolvisit", "records_warehousecheck", "records_checkitem",
    "records_checksignature", "records_incident", "records_incidentstep",
    "records_incidentevidence", "records_incidentalertlink", "records_recordphoto",
    "records_amendment",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        for operation in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{operation.lower()} "
                f"BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, "
                f"'posko: {table} rows are append-only ({operation} refused)'); END"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        for operation in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_{operation}")


class Migration(migrations.Migration):

    dependencies = [("records", "0003_anchor_signature")]

    operations = [migrations.RunPython(forwards, backwards)]
