from django.db import migrations


def create(apps, schema_editor):
    from disclosures.policy_defaults import ensure_default_policies

    ensure_default_policies(apps.get_model("disclosures", "DisclosurePolicy"))


def remove(apps, schema_editor):
    apps.get_model("disclosures", "DisclosurePolicy").objects.filter(version__in=[1, 2]).delete()


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0002_requests")]

    operations = [migrations.RunPython(create, remove)]
