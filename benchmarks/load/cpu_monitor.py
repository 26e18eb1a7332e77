"""Who used the CPU during a benchmark: this app's processes, PostgreSQL, the load generator, others.

    python3 benchmarks/load/cpu_monitor.py start /tmp/ita-load/cpu.json
    ... run the benchmark ...
    python3 benchmarks/load/cpu_monitor.py stop /tmp/ita-load/cpu.json

Reads /proc (Linux) at start and stop and prints CPU time per group in cores (1.00 = one core
busy for the whole interval), counting each process's own time and that of its children reaped
meanwhile. "others" is what else ran on the machine: on a shared 2-core host, a figure taken
while others used a core is not the machine's capacity. PostgreSQL is counted for all databases.
"""

import json
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def _procs() -> dict[int, tuple[str, float]]:
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # Own time plus that of children already reaped (a recycled worker, a finished render child,
        # an exited PostgreSQL backend): their time lives on in the parent's cutime/cstime.
        out[int(pid)] = (cmd, sum(int(f) for f in fields[11:15]) / HZ)
    return out


def _total_busy() -> float:
    with open("/proc/stat") as fh:
        cpu = [int(x) for x in fh.readline().split()[1:]]
    idle = cpu[3] + cpu[4]
    return (sum(cpu) - idle) / HZ


def _group(cmd: str) -> str:
    if "gunicorn" in cmd and "ita_portal" in cmd:
        return "gunicorn (app)"
    if "db_worker" in cmd or "scripts/worker.sh" in cmd or "render_workers.py" in cmd:
        return "render workers"
    if "locust" in cmd or "benchmarks/load/run.sh" in cmd:
        return "load generator"
    if cmd.startswith("postgres") or "/postgresql/" in cmd:
        return "postgres (all databases)"
    return "others"


def main():
    action, path = sys.argv[1], sys.argv[2]
    if action == "start":
        with open(path, "w") as fh:
            json.dump({"t": time.monotonic(), "busy": _total_busy(), "procs": _procs()}, fh)
        return
    with open(path) as fh:
        start = json.load(fh)
    elapsed = time.monotonic() - start["t"]
    before = {int(k): v for k, v in start["procs"].items()}
    groups: dict[str, float] = {}
    for pid, (cmd, cpu) in _procs().items():
        used = cpu - before[pid][1] if pid in before and before[pid][0] == cmd else cpu
        g = _group(cmd)
        groups[g] = groups.get(g, 0.0) + max(used, 0.0)
    busy = _total_busy() - start["busy"]
    known = sum(v for k, v in groups.items() if k != "others")
    groups["others"] = max(busy - known, 0.0)  # includes exited processes and the kernel
    cores = os.cpu_count() or 1
    parts = " · ".join(f"{k} {v / elapsed:.2f}" for k, v in sorted(groups.items()))
    print(f"CPU over {elapsed:.0f} s, in cores of {cores}: busy {busy / elapsed:.2f} · {parts}")


if __name__ == "__main__":
    main()
