"""Evidence exports (apps.recordings.evidence_models), and where the integrity walk stands
on each segment's file. Evidence files, holds and releases are append-only records like the
field records: the database refuses UPDATE and DELETE of them with the same triggers as
records 0002 (PostgreSQL, its function) and 0004 (SQLite)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

SEALED_TABLES = ["recordings_evidencefile", "recordings_segmenthold", "recordings_holdrelease"]


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in SEALED_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION posko_records_append_only()")
        elif vendor == "sqlite":
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{operation.lower()} "
                    f"BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, "
                    f"'posko: {table} rows are append-only ({operation} refused)'); END")


def changeable(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in SEALED_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_{operation}")


class Migration(migrations.Migration):

    dependencies = [
        ('cameras', '0007_camera_recording'),
        ('org', '0001_initial'),
        ('recordings', '0001_initial'),
        ('records', '0006_chain_verification'),  # after 0002/0004: the triggers' function
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EvidenceExport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start', models.DateTimeField(verbose_name='from')),
                ('end', models.DateTimeField(verbose_name='until')),
                ('zone', models.CharField(max_length=40, verbose_name='time zone')),
                ('reason', models.TextField(max_length=2000, verbose_name='reason')),
                ('legal_basis', models.CharField(max_length=255, verbose_name='legal basis')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Being made'), ('done', 'Complete'), ('failed', 'Failed')], default='queued', max_length=8, verbose_name='status')),
                ('error', models.CharField(blank=True, max_length=500, verbose_name='error')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='requested at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
            ],
            options={
                'verbose_name': 'evidence export',
                'verbose_name_plural': 'evidence exports',
                'ordering': ['-requested_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='EvidenceFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('video', 'Video'), ('manifest', 'Manifest (JSON)'), ('pdf', 'Manifest (PDF)')], max_length=8, verbose_name='kind')),
                ('name', models.CharField(max_length=120, verbose_name='name')),
                ('storage_name', models.CharField(max_length=255, unique=True, verbose_name='file')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('bytes', models.PositiveBigIntegerField(verbose_name='size (bytes)')),
                ('start', models.DateTimeField(blank=True, null=True, verbose_name='from')),
                ('end', models.DateTimeField(blank=True, null=True, verbose_name='until')),
                ('masked', models.BooleanField(default=False, verbose_name='masked')),
            ],
            options={
                'verbose_name': 'evidence file',
                'verbose_name_plural': 'evidence files',
                'ordering': ['export', 'pk'],
                'abstract': False,
                'base_manager_name': 'objects',
            },
        ),
        migrations.CreateModel(
            name='HoldRelease',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(max_length=500, verbose_name='reason')),
                ('released_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='released at')),
            ],
            options={
                'verbose_name': 'hold release',
                'verbose_name_plural': 'hold releases',
                'abstract': False,
                'base_manager_name': 'objects',
            },
        ),
        migrations.CreateModel(
            name='SegmentHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(max_length=200, verbose_name='reason')),
                ('held_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='held at')),
            ],
            options={
                'verbose_name': 'recording hold',
                'verbose_name_plural': 'recording holds',
                'ordering': ['held_at', 'pk'],
                'abstract': False,
                'base_manager_name': 'objects',
            },
        ),
        migrations.AddField(
            model_name='recordingsegment',
            name='check_problem',
            field=models.CharField(blank=True, max_length=8, verbose_name='file problem'),
        ),
        migrations.AddField(
            model_name='recordingsegment',
            name='checked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='file checked at'),
        ),
        migrations.AddIndex(
            model_name='recordingsegment',
            index=models.Index(fields=['checked_at', 'id'], name='recording_segment_check_order'),
        ),
        migrations.AddField(
            model_name='evidenceexport',
            name='agency',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.agency', verbose_name='agency'),
        ),
        migrations.AddField(
            model_name='evidenceexport',
            name='cameras',
            field=models.ManyToManyField(related_name='+', to='cameras.camera', verbose_name='cameras'),
        ),
        migrations.AddField(
            model_name='evidenceexport',
            name='requested_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='exported by'),
        ),
        migrations.AddField(
            model_name='evidenceexport',
            name='segments',
            field=models.ManyToManyField(related_name='exports', to='recordings.recordingsegment'),
        ),
        migrations.AddField(
            model_name='evidencefile',
            name='camera',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cameras.camera', verbose_name='camera'),
        ),
        migrations.AddField(
            model_name='evidencefile',
            name='export',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='files', to='recordings.evidenceexport'),
        ),
        migrations.AddField(
            model_name='holdrelease',
            name='released_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='released by'),
        ),
        migrations.AddField(
            model_name='segmenthold',
            name='export',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='holds', to='recordings.evidenceexport'),
        ),
        migrations.AddField(
            model_name='segmenthold',
            name='held_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='held by'),
        ),
        migrations.AddField(
            model_name='segmenthold',
            name='incident',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='export_holds', to='records.incident', verbose_name='incident'),
        ),
        migrations.AddField(
            model_name='holdrelease',
            name='hold',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='release', to='recordings.segmenthold'),
        ),
        migrations.AddConstraint(
            model_name='evidenceexport',
            constraint=models.CheckConstraint(condition=models.Q(('end__gt', models.F('start'))), name='evidence_export_end_after_start'),
        ),
        migrations.AddConstraint(
            model_name='evidenceexport',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('reason', ''), _negated=True), models.Q(('legal_basis', ''), _negated=True)), name='evidence_export_reason_and_basis'),
        ),
        migrations.AddConstraint(
            model_name='segmenthold',
            constraint=models.UniqueConstraint(fields=('export', 'incident'), name='segment_hold_once_per_incident'),
        ),
        migrations.RunPython(append_only, changeable),
    ]
