"""The outward-only promise, held by the database itself.

- No share may be inserted for, or moved to, an inward camera.
- No camera may become inward while it has an unrevoked share (Camera.save revokes first).
Triggers, because a CHECK constraint cannot look at another table."""

from django.db import migrations

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION posko_share_requires_outward() RETURNS trigger AS $$
    BEGIN
      IF (SELECT orientation FROM cameras_camera WHERE id = NEW.camera_id) <> 'outward' THEN
        RAISE EXCEPTION 'inward camera % cannot be shared', NEW.camera_id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER camera_share_requires_outward
    BEFORE INSERT OR UPDATE ON cameras_camerashare
    FOR EACH ROW EXECUTE FUNCTION posko_share_requires_outward();
    """,
    """
    CREATE OR REPLACE FUNCTION posko_inward_camera_has_no_share() RETURNS trigger AS $$
    BEGIN
      IF NEW.orientation <> 'outward' AND EXISTS (
        SELECT 1 FROM cameras_camerashare WHERE camera_id = NEW.id AND revoked_at IS NULL
      ) THEN
        RAISE EXCEPTION 'camera % has live shares: revoke them before turning it inward', NEW.id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER camera_inward_has_no_share
    BEFORE UPDATE OF orientation ON cameras_camera
    FOR EACH ROW EXECUTE FUNCTION posko_inward_camera_has_no_share();
    """,
]

POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS camera_share_requires_outward ON cameras_camerashare;",
    "DROP FUNCTION IF EXISTS posko_share_requires_outward();",
    "DROP TRIGGER IF EXISTS camera_inward_has_no_share ON cameras_camera;",
    "DROP FUNCTION IF EXISTS posko_inward_camera_has_no_share();",
]

SQLITE = [
    """
    CREATE TRIGGER camera_share_requires_outward_insert
    BEFORE INSERT ON cameras_camerashare
    WHEN (SELECT orientation FROM cameras_camera WHERE id = NEW.camera_id) <> 'outward'
    BEGIN SELECT RAISE(ABORT, 'inward camera cannot be shared'); END;
    """,
    """
    CREATE TRIGGER camera_share_requires_outward_update
    BEFORE UPDATE ON cameras_camerashare
    WHEN (SELECT orientation FROM cameras_camera WHERE id = NEW.camera_id) <> 'outward'
    BEGIN SELECT RAISE(ABORT, 'inward camera cannot be shared'); END;
    """,
    """
    CREATE TRIGGER camera_inward_has_no_share
    BEFORE UPDATE OF orientation ON cameras_camera
    WHEN NEW.orientation <> 'outward' AND EXISTS (
      SELECT 1 FROM cameras_camerashare WHERE camera_id = NEW.id AND revoked_at IS NULL)
    BEGIN SELECT RAISE(ABORT, 'camera has live shares'); END;
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS camera_share_requires_outward_insert;",
    "DROP TRIGGER IF EXISTS camera_share_requires_outward_update;",
    "DROP TRIGGER IF EXISTS camera_inward_has_no_share;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)  # PL/pgSQL uses a literal %

    return run


class Migration(migrations.Migration):
    dependencies = [("cameras", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
