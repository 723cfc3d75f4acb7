"""High alerts open at the upgrade had no escalation due: they join the chain at its first
step with the next sweep, and go on until someone acknowledges them."""

from django.db import migrations
from django.utils import timezone


def open_alerts_due_now(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    Alert.objects.filter(state="open", severity__gte=3, escalation_due_at__isnull=True).update(
        escalation_due_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [("alerts", "0009_escalation_chain")]

    operations = [migrations.RunPython(open_alerts_due_now, migrations.RunPython.noop)]
