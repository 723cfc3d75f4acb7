"""On PostgreSQL the database itself refuses UPDATE and DELETE of field records.

Defence in depth beside the model guards (apps.records.models.sealed) and the grants of the
README: even a role that owns the tables (as the migrating role does) cannot change a record
without first disabling these triggers, which needs table ownership or superuser rights and
leaves the change for `verify_records` to find. TRUNCATE is refused by the grants, not here:
test databases are flushed with it.

SQLite has no roles; embedded mode relies on the model guards and the hash chain.
"""

from django.db import migrations

TABLES = [
    "records_chainentry", "records_chainanchor", "records_patrol", "records_patrolmember",
    "records_patrolend", "records_patrolvisit", "records_warehousecheck", "records_checkitem",
    "records_checksignature", "records_incident", "records_incidentstep",
    "records_incidentevidence", "records_incidentalertlink", "records_recordphoto",
    "records_amendment",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION posko_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'posko: % rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # its "%" are PL/pgSQL, not placeholders
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION posko_records_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS posko_records_append_only()")


class Migration(migrations.Migration):

    dependencies = [("records", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
