"""
The outbox: messages owed to the platform, written in the same transaction as the change that
owes them and sent afterwards by a Celery task with retries (docs/architecture.md).

Infrastructure like accounts and audit: it knows no domain app. An app declares the kinds of
delivery it sends in its `outbox_kinds` module and enqueues them with
`outbox.services.delivery_enqueue`.
"""
