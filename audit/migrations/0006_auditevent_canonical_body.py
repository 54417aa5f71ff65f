"""The canonical text `audit.record` writes with each event, for the sealer (see the model)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_verification_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="canonical_body",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
    ]
