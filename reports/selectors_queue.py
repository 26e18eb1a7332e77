"""Which queued render job a free worker takes next: fair between agencies.

The task queue itself is first-in first-out, so one agency that queues many slow or failing
renders would make every other agency wait behind all of them. A worker therefore takes, among
the queued jobs, the oldest job of the agency that is served least:

1. fewest jobs running now (an agency that has a render running waits while another agency
   has none running: at most one running job per agency while others wait);
2. then the longest since one of its renders last started (never = first): round-robin, so an
   agency that just had a render waits behind one that has not;
3. then the agency whose oldest queued job is oldest.

So another agency's draft waits behind at most one render of an agency that floods the queue.
"""

import datetime

from django.db.models import Count, Max, Min
from django.utils import timezone

from .models import RenderJob

_NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)


def render_job_pick_order() -> list[int]:
    """Ids of the queued jobs in the order workers should take them (a few queries)."""
    queued = list(
        RenderJob.objects.filter(state=RenderJob.JobState.QUEUED)
        .order_by("created_at", "id")
        .values_list("id", "agency_id")
    )
    if not queued:
        return []
    agencies = {agency_id for _, agency_id in queued}
    running = dict(
        RenderJob.objects.filter(state=RenderJob.JobState.RUNNING, agency_id__in=agencies)
        .values("agency_id")
        .annotate(n=Count("id"))
        .values_list("agency_id", "n")
    )
    last_start = dict(
        RenderJob.objects.filter(agency_id__in=agencies, started_at__isnull=False)
        .values("agency_id")
        .annotate(last=Max("started_at"))
        .values_list("agency_id", "last")
    )
    first_queued = dict(
        RenderJob.objects.filter(state=RenderJob.JobState.QUEUED)
        .values("agency_id")
        .annotate(first=Min("created_at"))
        .values_list("agency_id", "first")
    )
    # Within one agency, the jobs keep their order; between agencies, take turns: the k-th job of
    # every agency before the (k+1)-th of any, agencies ordered by how little they were served.
    served = sorted(
        agencies,
        key=lambda a: (running.get(a, 0), last_start.get(a) or _NEVER, first_queued.get(a) or timezone.now(), a),
    )
    rank = {agency_id: i for i, agency_id in enumerate(served)}
    turn: dict[int, int] = {}
    keyed = []
    for job_id, agency_id in queued:
        k = turn.get(agency_id, 0)
        turn[agency_id] = k + 1
        keyed.append(((k, rank[agency_id]), job_id))
    return [job_id for _, job_id in sorted(keyed)]


def render_job_next_id() -> int | None:
    """The queued job a free worker should take now, or None."""
    order = render_job_pick_order()
    return order[0] if order else None
