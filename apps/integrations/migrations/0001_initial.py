"""Webhook endpoints and deliveries move here from apps.api: the models change apps, the tables
(`api_webhookendpoint`, `api_webhookdelivery`) and their rows stay where they are. api 0002
drops the models from api's state after this one adds them here; their content types follow,
so permissions given on them are kept."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ["webhookendpoint", "webhookdelivery"]


def _content_types(apps, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label=source, model__in=MODELS).update(app_label=target)


def forwards(apps, schema_editor):
    _content_types(apps, "api", "integrations")


def backwards(apps, schema_editor):
    _content_types(apps, "integrations", "api")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("api", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("org", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="WebhookEndpoint",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        ("url", models.CharField(max_length=2048, verbose_name="URL")),
                        ("secret_token", models.TextField(editable=False)),
                        ("active", models.BooleanField(default=True, verbose_name="active")),
                        ("send_alerts", models.BooleanField(default=True,
                                                            verbose_name="alerts")),
                        ("send_incidents", models.BooleanField(
                            default=False, verbose_name="incident reports")),
                        ("min_severity", models.PositiveSmallIntegerField(
                            choices=[(1, "Low"), (2, "Medium"), (3, "High"), (4, "Critical")],
                            default=1, verbose_name="lowest alert severity")),
                        ("created_at", models.DateTimeField(
                            default=django.utils.timezone.now, editable=False)),
                        ("created_by", models.ForeignKey(
                            null=True, on_delete=django.db.models.deletion.SET_NULL,
                            related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("region", models.ForeignKey(
                            blank=True, help_text="Send only what happens at facilities in "
                                                  "this region (and below it).",
                            null=True, on_delete=django.db.models.deletion.PROTECT,
                            related_name="+", to="org.region", verbose_name="only in region")),
                    ],
                    options={
                        "verbose_name": "webhook endpoint",
                        "verbose_name_plural": "webhook endpoints",
                        "ordering": ["name"],
                        "db_table": "api_webhookendpoint",
                    },
                ),
                migrations.CreateModel(
                    name="WebhookDelivery",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("delivery_id", models.UUIDField(default=uuid.uuid4, editable=False,
                                                         unique=True)),
                        ("event", models.CharField(max_length=40, verbose_name="event")),
                        ("body", models.TextField()),
                        ("state", models.CharField(
                            choices=[("pending", "Pending"), ("retrying", "Retrying"),
                                     ("delivered", "Delivered"), ("failed", "Failed")],
                            default="pending", max_length=10, verbose_name="state")),
                        ("attempts", models.PositiveSmallIntegerField(
                            default=0, verbose_name="attempts")),
                        ("last_status", models.PositiveSmallIntegerField(
                            blank=True, null=True, verbose_name="last HTTP status")),
                        ("last_error", models.CharField(blank=True, max_length=200,
                                                        verbose_name="last error")),
                        ("created_at", models.DateTimeField(
                            db_index=True, default=django.utils.timezone.now,
                            verbose_name="created")),
                        ("last_attempt_at", models.DateTimeField(
                            blank=True, null=True, verbose_name="last attempt")),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("delivered_at", models.DateTimeField(blank=True, null=True,
                                                              verbose_name="delivered")),
                        ("endpoint", models.ForeignKey(
                            on_delete=django.db.models.deletion.CASCADE,
                            related_name="deliveries", to="integrations.webhookendpoint")),
                    ],
                    options={
                        "verbose_name": "webhook delivery",
                        "verbose_name_plural": "webhook deliveries",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "api_webhookdelivery",
                        "indexes": [models.Index(condition=models.Q(("state", "retrying")),
                                                 fields=["next_attempt_at"],
                                                 name="api_delivery_retry_due")],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
