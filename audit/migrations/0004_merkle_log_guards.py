"""The Merkle log's tables are append-only too."""

from django.db import migrations

TABLES = ("audit_auditleaf", "audit_auditnode", "audit_auditcheckpoint")


def install(apps, schema_editor):
    from audit.db import install_guards

    install_guards(schema_editor.connection, TABLES)


def remove(apps, schema_editor):
    from audit.db import remove_guards

    remove_guards(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_merkle_log")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
