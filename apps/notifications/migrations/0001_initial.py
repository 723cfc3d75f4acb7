import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("alerts", "0007_review_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PushSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("endpoint", models.TextField(unique=True, verbose_name="endpoint")),
                ("p256dh", models.CharField(max_length=100)),
                ("auth", models.CharField(max_length=40)),
                ("device", models.CharField(blank=True, max_length=200, verbose_name="device")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="turned on")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="push_subscriptions", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "push subscription",
                "verbose_name_plural": "push subscriptions",
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="PushAttempt",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("service", models.CharField(max_length=255, verbose_name="push service")),
                ("status", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="status")),
                ("error", models.CharField(blank=True, max_length=100, verbose_name="error")),
                ("duration_ms", models.PositiveIntegerField(verbose_name="duration (ms)")),
                ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("ack_nonce", models.CharField(blank=True, db_index=True, max_length=32)),
                ("ack_used_at", models.DateTimeField(blank=True, null=True)),
                ("alert", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="push_attempts", to="alerts.alert")),
                ("subscription", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="attempts", to="notifications.pushsubscription")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "push attempt",
                "verbose_name_plural": "push attempts",
                "ordering": ["-at"],
            },
        ),
    ]
