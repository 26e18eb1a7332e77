"""The sender as a django-tasks task: enqueued when a message is queued, run by scripts/worker.sh."""

from django_tasks import task

from .delivery import outbox_deliver_due


@task(queue_name="default")
def deliver_outbox() -> dict:
    summary = outbox_deliver_due()
    return {"sent": summary.sent, "retrying": summary.retrying, "failed": summary.failed}
