"""The link checker as a django-tasks task: queued from the readiness page, run by scripts/worker.sh."""

from django_tasks import task

from agencies.models import Agency


@task(queue_name="default")
def check_oit_links(agency_id: int | None = None, be_year: int | None = None) -> dict:
    from .services import link_checks_run

    agency = Agency.objects.filter(pk=agency_id).first() if agency_id else None
    checks = link_checks_run(agency=agency, be_year=be_year)
    return {"checked": len(checks), "failed": sum(1 for c in checks if not c.ok)}
