from django.db import migrations, models


class Migration(migrations.Migration):
    """The review list's index: a week of a city's alerts, newest first (apps.alerts.review)."""

    dependencies = [
        ("alerts", "0006_alert_alerts_aler_facilit_7594fa_idx"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(fields=["first_raised_at", "id"], name="alert_raised_idx"),
        ),
    ]
