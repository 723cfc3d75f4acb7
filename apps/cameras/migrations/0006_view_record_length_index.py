"""How long each view lasted, indexed: a page of the newest viewing sessions reaches back as
far as the longest view lasted, and reads that length from the end of this index."""

import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cameras', '0005_camerastatechange_cameras_cam_camera__707277_idx_and_more'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='viewrecord',
            index=models.Index(
                django.db.models.expressions.CombinedExpression(
                    models.F('ended_at'), '-', models.F('started_at')),
                name='cameras_view_length_idx'),
        ),
    ]
