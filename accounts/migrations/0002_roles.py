"""Create the six role groups with their permissions (accounts.roles.ROLE_PERMISSIONS)."""

from django.apps import apps as global_apps
from django.db import migrations


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from accounts.roles import sync_roles

    # Permissions are normally created after migrate; the groups need them now.
    for label in ("accounts", "auth", "audit", "moderation", "disclosures"):
        create_permissions(global_apps.get_app_config(label), verbosity=0, apps=apps)
    sync_roles(apps=apps, using=schema_editor.connection.alias, strict=False)


def remove_roles(apps, schema_editor):
    from accounts.roles import Role

    apps.get_model("auth", "Group").objects.filter(name__in=[r.value for r in Role]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0001_initial"),
        ("moderation", "0001_initial"),
        ("disclosures", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
