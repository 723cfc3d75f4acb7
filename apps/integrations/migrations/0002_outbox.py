"""The outbox (apps.integrations.outbox): a cursor and a lease per endpoint, and each delivery
made once per alert event. Existing endpoints start at the newest alert event (the old
mechanism made their deliveries up to now), and retries that Celery held for the old
per-delivery task become due at once."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Max
from django.utils import timezone


def start_the_outbox(apps, schema_editor):
    alert_event = apps.get_model("alerts", "AlertEvent")
    endpoint = apps.get_model("integrations", "WebhookEndpoint")
    delivery = apps.get_model("integrations", "WebhookDelivery")
    newest = alert_event.objects.aggregate(newest=Max("id"))["newest"] or 0
    endpoint.objects.update(cursor=newest)
    delivery.objects.filter(state="retrying", next_attempt_at__isnull=True).update(
        next_attempt_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0006_alert_alerts_aler_facilit_7594fa_idx"),
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="webhookdelivery",
            name="api_delivery_retry_due",
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="alert_event",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to="alerts.alertevent"),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="claimed_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="cursor",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(condition=models.Q(("state__in", ["pending", "retrying"])),
                               fields=["endpoint", "next_attempt_at"],
                               name="webhook_delivery_unfinished"),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(fields=("endpoint", "alert_event", "event"),
                                               name="webhook_delivery_once"),
        ),
        migrations.RunPython(start_the_outbox, migrations.RunPython.noop),
    ]
