"""The database itself refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) on audit events."""

from django.db import migrations


def install(apps, schema_editor):
    from audit.db import install_guards

    install_guards(schema_editor.connection, ("audit_auditevent",))


def remove(apps, schema_editor):
    from audit.db import remove_guards

    remove_guards(schema_editor.connection, ("audit_auditevent",))


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
