"""Render N queued reports with W background workers: reports per minute and memory per worker.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ita_scale   # after generate_synthetic
    .venv/bin/python benchmarks/render_workers.py --reports 1000 --workers 2

Queues N annual drafts with `render_all` (a fresh MEDIA_ROOT, so nothing is served from the
render cache), starts W `scripts/worker.sh --batch` processes (recycled every --max-tasks jobs,
renders niced), samples each worker's process tree four times a second (the worker and its
render child: RSS, and PSS, which counts pages shared by the two once), and waits until the queue
is empty. Prints throughput from the jobs' own start and finish times, the peak memory per
worker, the render child's peak RSS (getrusage) and the share of jobs that failed.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            kids.setdefault(ppid, []).append(int(pid))
    return kids


def tree(pid: int, kids: dict[int, list[int]]) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KB; (0, 0) if it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--year", type=int, default=2567)
    parser.add_argument("--kind", default="annual", choices=["annual", "six-month"])
    parser.add_argument("--max-tasks", type=int, default=100, help="jobs per worker process before recycling")
    parser.add_argument("--nice", type=int, default=10)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("set DATABASE_URL to the scale database (never the project's db.sqlite3)")
    media = tempfile.mkdtemp(prefix="ita-render-bench-")
    os.environ.setdefault("SECRET_KEY", "benchmark-scratch-data-only-" + "k" * 40)  # never a production key
    env = {**os.environ, "MEDIA_ROOT": media, "PYTHON": sys.executable, "LOG_LEVEL": "ERROR"}
    env.update({"WORKER_MAX_TASKS": str(args.max_tasks), "WORKER_NICE": str(args.nice), "WORKER_INTERVAL": "0.5"})

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ita_portal.settings")
    os.environ["MEDIA_ROOT"] = media
    import django

    django.setup()
    from django_tasks_db.models import DBTaskResult

    from reports.models import RenderJob

    if DBTaskResult.objects.ready().exists():
        sys.exit("the queue is not empty: let the workers finish it first, or purge it")
    since = RenderJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "render_all", "--year", str(args.year), "--kind", args.kind, "--limit", str(args.reports)],
        env=env,
        check=True,
    )
    jobs = RenderJob.objects.filter(id__gt=since)
    queued = jobs.count()

    monitor = [sys.executable, str(ROOT / "benchmarks/load/cpu_monitor.py")]
    subprocess.run([*monitor, "start", f"{media}/cpu.json"], check=True)
    start = time.monotonic()
    workers = [
        subprocess.Popen(
            ["bash", str(ROOT / "scripts/worker.sh"), "--batch"],
            env=env,
            stdout=open(f"{media}/worker-{i}.log", "w"),
            stderr=subprocess.STDOUT,
        )
        for i in range(args.workers)
    ]
    peak = {w.pid: {"rss": 0, "pss": 0, "procs": 0} for w in workers}
    while any(w.poll() is None for w in workers):
        kids = children_map()
        for w in workers:
            pids = [p for p in tree(w.pid, kids) if p != w.pid]  # not the bash loop itself
            mem = [memory_kb(p) for p in pids]
            rss, pss = sum(m[0] for m in mem), sum(m[1] for m in mem)
            peak[w.pid]["rss"] = max(peak[w.pid]["rss"], rss)
            peak[w.pid]["pss"] = max(peak[w.pid]["pss"], pss)
        time.sleep(0.25)
    wall = time.monotonic() - start
    cpu = subprocess.run([*monitor, "stop", f"{media}/cpu.json"], capture_output=True, text=True).stdout

    done = list(jobs.filter(state="done").values_list("started_at", "finished_at", "peak_rss_kb"))
    failed = jobs.filter(state="failed").count()
    first = min(s for s, _, _ in done)
    last = max(f for _, f, _ in done)
    span = (last - first).total_seconds()
    durations = [(f - s).total_seconds() for s, f, _ in done]
    child = [k for _, _, k in done if k]
    print(f"reports queued {queued}, rendered {len(done)}, failed {failed}, workers {args.workers}")
    rate = len(done) / span * 60
    print(f"throughput {rate:.1f} reports/min (first start to last finish {span:.0f} s; wall {wall:.0f} s)")
    p95 = sorted(durations)[int(len(durations) * 0.95)]
    print(f"per report: median {statistics.median(durations):.2f} s, p95 {p95:.2f} s")
    for i, w in enumerate(workers, start=1):
        p = peak[w.pid]
        print(
            f"worker {i}: peak RSS {p['rss'] / 1024:.0f} MB, peak PSS {p['pss'] / 1024:.0f} MB (worker + render child)"
        )
    print(f"render child peak RSS: max {max(child) / 1024:.0f} MB, median {statistics.median(child) / 1024:.0f} MB")
    print(cpu.strip())
    print(f"(media and worker logs in {media})")


if __name__ == "__main__":
    main()
