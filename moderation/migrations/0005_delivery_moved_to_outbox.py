"""
The outbox became an app of its own (outbox.Delivery). Rows move across with their case and
decision turned into the outbox's (type, id) references, then moderation's table goes.
"""

from django.db import migrations


def copy_deliveries(apps, schema_editor):
    Old = apps.get_model("moderation", "Delivery")
    New = apps.get_model("outbox", "Delivery")
    batch = []
    for row in Old.objects.order_by("pk").iterator(chunk_size=2000):
        batch.append(
            New(
                kind=row.kind,
                idempotency_key=row.idempotency_key,
                topic_type="moderation.case" if row.case_id else "",
                topic_id=str(row.case_id or ""),
                cause_type="moderation.decision" if row.decision_id else "",
                cause_id=str(row.decision_id or ""),
                payload=row.payload,
                status=row.status,
                attempts=row.attempts,
                last_error=row.last_error,
                sent_at=row.sent_at,
            )
        )
        if len(batch) == 2000:
            New.objects.bulk_create(batch)
            batch = []
    New.objects.bulk_create(batch)
    # created_at is auto_now_add: carry the original times over afterwards.
    created = dict(Old.objects.values_list("idempotency_key", "created_at"))
    for delivery in New.objects.filter(idempotency_key__in=list(created)).iterator():
        New.objects.filter(pk=delivery.pk).update(created_at=created[delivery.idempotency_key])


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0004_report_language_detected"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_deliveries, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="delivery", name="delivery_status"),
        migrations.DeleteModel(name="Delivery"),
    ]
