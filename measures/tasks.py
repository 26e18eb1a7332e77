"""The reminders as a django-tasks task (for a scheduler that enqueues tasks); cron and
scripts/start.sh run the same thing as `manage.py send_reminders`."""

from django_tasks import task

from .services_reminders import reminders_send_due


@task(queue_name="default")
def send_reminders() -> dict:
    summary = reminders_send_due()
    return {"queued": summary.queued, "already": summary.already}
