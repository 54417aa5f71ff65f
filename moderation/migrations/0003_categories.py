"""The fourteen report categories with their severity, deadline and DSA mapping (editable later)."""

from django.db import migrations


def create(apps, schema_editor):
    from moderation.taxonomy import ensure_default_categories

    ensure_default_categories(apps.get_model("moderation", "Category"))


def remove(apps, schema_editor):
    from moderation.taxonomy import CATEGORIES

    apps.get_model("moderation", "Category").objects.filter(
        code__in=[row[0] for row in CATEGORIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_initial")]

    operations = [migrations.RunPython(create, remove)]
