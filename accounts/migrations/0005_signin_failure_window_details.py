from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_dual_control_enrolment_failure_windows"),
    ]

    operations = [
        migrations.AddField(
            model_name="authfailurewindow",
            name="username_digest",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="authfailurewindow",
            name="ip_address",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
    ]
