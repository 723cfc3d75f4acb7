"""Nobody is on two overlapping shifts, and no shift is longer than 24 hours: PostgreSQL only.

The exclusion constraint is what makes 20 concurrent conflicting requests yield exactly one
shift (apps.duty.services maps its violation to a form error). `[)` bounds: a shift ending at
14:00 and the next starting at 14:00 do not overlap. btree_gist lets the GiST index compare
person ids with `=`. SQLite has no such constraint: the roster services check for overlaps
inside the same write transaction (SQLite's write lock, transaction_mode IMMEDIATE)."""

from django.db import migrations

CONSTRAINT = "duty_shift_person_no_overlap"
MAX_LENGTH = "duty_shift_at_most_24h"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE duty_shift ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (person_id WITH =, tstzrange(\"start\", \"end\", '[)') WITH &&) "
        "WHERE (person_id IS NOT NULL)"
    )
    schema_editor.execute(
        f"ALTER TABLE duty_shift ADD CONSTRAINT {MAX_LENGTH} "
        "CHECK (\"end\" - \"start\" <= interval '24 hours')"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE duty_shift DROP CONSTRAINT IF EXISTS {MAX_LENGTH}")
    schema_editor.execute(f"ALTER TABLE duty_shift DROP CONSTRAINT IF EXISTS {CONSTRAINT}")
    # btree_gist stays: other tables may use it, and it is harmless.


class Migration(migrations.Migration):
    dependencies = [("duty", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
