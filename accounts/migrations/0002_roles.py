"""
Create the six role groups with the permissions each app grants them (accounts.roles).

No dependency on the domain apps: their tables may not exist yet at this point, so the sync is
not strict and a permission whose model is missing is skipped; the post_migrate sync (strict)
adds it once every app is migrated.
"""

from django.apps import apps as global_apps
from django.db import migrations


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from accounts.roles import sync_roles

    # Permissions are normally created after migrate; the groups need them now. An app that
    # has no models in this migration state yet is passed over by create_permissions.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=apps)
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
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
