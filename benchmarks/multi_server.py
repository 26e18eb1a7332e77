"""Several servers, one truth: two app servers and two render workers sharing one PostgreSQL
database, one Redis and one S3 endpoint, driven over HTTP the way users would.

    bash scripts/multi_server_check.sh          # what .ci/run runs after the PostgreSQL pass

Starts an S3 server (moto_server, 127.0.0.1), creates the database `ita_multi` (MULTI_DATABASE_URL)
and a bucket, migrates, loads the demo, collects static files, then starts two gunicorn servers
(A, B) and two `scripts/worker.sh` workers with the same environment: DATABASE_URL, REDIS_URL
(a Redis DB number of its own, MULTI_REDIS_URL), AWS_* (the bucket), an empty MEDIA_ROOT that
must stay empty. Then:

  1. division staff upload a photo through A; the photo is served by B, byte for byte the object;
  2. the coordinator asks for the draft through B; a worker renders it with the photo (the PDF
     holds the print copy); A serves the same draft from the bucket's cache;
  3. submit and approve through A, the executive publishes through A; B serves the public PDF,
     the same bytes as A and the bucket, with the SHA-256 the database recorded;
  4. four more agencies' drafts are asked for through A and B in turn: both workers render;
and after each change the cached pages (score page, my work, measure list, public list) are the
same on A and B and show the change. Prints timings; every process it started is stopped and the
database dropped on exit, whatever happens (the logs are kept only when the check fails).
"""

import hashlib
import http.cookiejar
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = os.environ.get("PYTHON") or str(ROOT / ".venv/bin/python")
BIN = Path(PY).parent
KSK = "khao-samo-khon"
PASSWORD = "ita-demo-2568"
DATABASE_URL = os.environ.get("MULTI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ita_multi")
REDIS_URL = os.environ.get("MULTI_REDIS_URL", "redis://127.0.0.1:6379/11")
TIMEOUT = float(os.environ.get("MULTI_TIMEOUT", "300"))

timings: list[tuple[str, float]] = []


def step(label: str, started: float) -> float:
    took = time.perf_counter() - started
    timings.append((label, took))
    print(f"  {took:7.2f} s  {label}", flush=True)
    return took


def check(condition, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes ----------------------------------------------------------------------------------


class Processes:
    """Every process started here, each in a session of its own; stop() ends their groups."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((name, proc))
        return proc

    def stop(self) -> None:
        for _, proc in reversed(self.started):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 20
        for name, proc in self.started:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop on SIGTERM: killed", flush=True)
            try:  # whatever is left of its group (a render child, a gunicorn worker)
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        self.started.clear()


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {timeout:.0f} s")


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def database(action: str) -> None:
    import psycopg

    url = urllib.parse.urlsplit(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = urllib.parse.urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if action == "create":
            conn.execute(f'CREATE DATABASE "{name}"')


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()


# --- HTTP as a browser does it --------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status: int, headers, body: bytes, ms: float):
        self.status, self.headers, self.body, self.ms = status, headers, body, ms

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """One user's cookies (the session works on any server: cookies ignore the port)."""

    def __init__(self, name: str):
        self.name = name
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> Response:
        headers = dict(headers or {})
        if method == "POST":
            headers["X-CSRFToken"] = self.cookie("csrftoken")
            headers["Referer"] = url
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=120) as r:
                return Response(r.status, r.headers, r.read(), (time.perf_counter() - started) * 1000)
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read(), (time.perf_counter() - started) * 1000)

    def get(self, url: str) -> Response:
        return self.request("GET", url)

    def post(self, url: str, fields: dict | None = None, files: dict | None = None) -> Response:
        if files:
            body, ctype = multipart(fields or {}, files)
        else:
            body, ctype = urllib.parse.urlencode(fields or {}).encode(), "application/x-www-form-urlencoded"
        return self.request("POST", url, body, {"Content-Type": ctype})

    def login(self, server: str, username: str) -> float:
        started = time.perf_counter()
        self.get(f"{server}/login/")
        r = self.post(f"{server}/login/", {"username": username, "password": PASSWORD})
        check(r.status == 302 and self.cookie("sessionid"), f"{username} could not log in ({r.status})")
        return time.perf_counter() - started


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, ctype) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
ORIGIN = re.compile(r"http://127\.0\.0\.1:\d+")


def main_of(html: str) -> str:
    """The page's <main>, form tokens blanked (each response masks the token anew) and the
    server's own address (absolute links name the host they were asked on) made one."""
    start, end = html.find("<main"), html.find("</main>")
    check(start >= 0 and end > start, "a page without <main>")
    main = TOKEN.sub('name="csrfmiddlewaretoken" value=""', html[start:end])
    return ORIGIN.sub("http://server", main)


def same_on_both(browser: Browser, a: str, b: str, paths: list[str], label: str) -> dict[str, str]:
    """Each page twice on each server (a miss then a hit); all four copies must be equal."""
    pages, ms = {}, {"A": [], "B": []}
    browser.get(a + paths[0])  # shows (and so clears) any message left by the last POST
    for path in paths:
        copies = []
        for name, server in (("A", a), ("B", b), ("A", a), ("B", b)):
            r = browser.get(server + path)
            check(r.status == 200, f"{label}: {name} {path} answered {r.status}")
            copies.append(main_of(r.text))
            ms[name].append(r.ms)
        check(all(c == copies[0] for c in copies), f"{label}: {path} differs between the servers")
        pages[path] = copies[0]
    print(
        f"            cached pages agree on A and B ({label}): {len(paths)} pages, "
        f"A {sum(ms['A']) / len(ms['A']):.0f} ms, B {sum(ms['B']) / len(ms['B']):.0f} ms on average",
        flush=True,
    )
    return pages


def png(width=800, height=600) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (width, height), (20, 110, 170))
    for x in range(0, width, 50):
        for y in range(height):
            img.putpixel((x, y), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def pdf_images(pdf: bytes) -> list[tuple[int, int]]:
    import pymupdf

    doc = pymupdf.open(stream=pdf, filetype="pdf")
    return [(img[2], img[3]) for page in doc for img in page.get_images(full=True)]


def wait_pdf(browser: Browser, url: str, label: str) -> tuple[Response, float]:
    started = time.perf_counter()
    while time.perf_counter() - started < TIMEOUT:
        r = browser.get(url)
        if r.status == 200 and r.headers.get("Content-Type") == "application/pdf":
            return r, time.perf_counter() - started
        check(r.status in (202, 404), f"{label}: {url} answered {r.status}")
        check("ไม่สำเร็จ" not in r.text, f"{label}: the render failed: {r.text[:500]}")
        time.sleep(0.5)
    raise AssertionError(f"{label}: no PDF at {url} after {TIMEOUT:.0f} s")


# --- the scenario ---------------------------------------------------------------------------------


def scenario(a: str, b: str, bucket, media: Path) -> None:
    from django.db import close_old_connections

    from measures.models import Measure
    from reports.models import PublishedVersion, RenderJob

    staff, coord, exec_ = Browser("ksk-staff1"), Browser("ksk-coord"), Browser("ksk-exec")
    t = time.perf_counter()
    staff.login(a, "ksk-staff1")
    coord.login(b, "ksk-coord")
    exec_.login(a, "ksk-exec")
    step("3 logins (staff and executive on A, coordinator on B)", t)

    pages = [
        f"/a/{KSK}/?year=2567&round=annual",
        f"/a/{KSK}/my-work/?year=2567&round=annual",
        f"/a/{KSK}/measures/?year=2567",
    ]
    t = time.perf_counter()
    before = same_on_both(coord, a, b, pages, "before any change")
    step("pages read on both servers before the change", t)
    import redis

    keys = redis.Redis.from_url(REDIS_URL).dbsize()
    check(keys > 0, "nothing in the shared Redis after the pages were read")
    print(f"            the shared Redis holds {keys} entries", flush=True)

    # 1. A photo through A.
    measure = Measure.objects.filter(agency__code=KSK, year__be_year=2567, divisions__name="สำนักปลัด").order_by("order")[
        0
    ]
    url = f"{a}/a/{KSK}/measures/{measure.pk}/progress/annual/"
    form = staff.get(url)
    check(form.status == 200, f"progress form: {form.status}")
    version = re.search(r'name="version"[^>]*value="(\d*)"', form.text)
    caption = f"ภาพจากเซิร์ฟเวอร์ A {secrets.token_hex(3)}"
    fields = {
        "version": version.group(1) if version else "",
        "status": "done",
        "output": "ประชุมชี้แจงแล้ว (หลายเซิร์ฟเวอร์)",
        "outcome": "",
        "completed_on": "30/09/2567",
        "budget_spent": "",
        "photo-TOTAL_FORMS": "1",
        "photo-INITIAL_FORMS": "0",
        "photo-0-caption": caption,
        "link-TOTAL_FORMS": "0",
        "link-INITIAL_FORMS": "0",
    }
    t = time.perf_counter()
    r = staff.post(url, fields, {"photo-0-image": ("ภาพ.png", png(), "image/png")})
    check(r.status == 302, f"upload through A answered {r.status}: {r.text[:1500]}")
    step("photo uploaded through A (decoded, 2 JPEG copies put in the bucket)", t)
    close_old_connections()
    from measures.models import EvidencePhoto

    photo = EvidencePhoto.objects.get(progress__measure=measure, progress__round="annual", caption=caption)
    stored = bucket.read(photo.image.name)
    r = staff.get(f"{b}/a/{KSK}/photos/{photo.pk}/")
    check(r.status == 200 and r.body == stored, "B does not serve the photo that A stored")
    print(f"            B serves the photo A stored ({len(stored):,} bytes, {photo.image.name})", flush=True)
    after_upload = same_on_both(coord, a, b, pages, "after the upload")
    changed = [p for p in pages if after_upload[p] != before[p]]
    check(changed, "no cached page shows the upload")

    # 2. The draft through B, rendered by a worker.
    base = f"/a/{KSK}/reports/2567/annual"
    t = time.perf_counter()
    r = coord.post(f"{b}{base}/preview.pdf")  # the draft page's button; a GET queues nothing
    check(r.status == 302, f"draft through B answered {r.status}")
    draft, waited = wait_pdf(coord, f"{b}{base}/preview.pdf", "draft")
    step("draft asked through B until B served the PDF (a worker rendered it)", t)
    check((440, 330) in pdf_images(draft.body), f"the draft has no photo: {pdf_images(draft.body)}")
    close_old_connections()
    job = RenderJob.objects.filter(agency__code=KSK, purpose="preview").latest("created_at")
    render_s = (job.finished_at - job.started_at).total_seconds()
    check(bucket.read(job.pdf_path) == draft.body, "the draft in the bucket differs from what B served")
    r = coord.get(f"{a}{base}/preview.pdf")
    check(r.status == 200 and r.body == draft.body, "A does not serve the same draft")
    print(
        f"            draft {len(draft.body):,} bytes with the photo; render {render_s:.2f} s; A serves the same bytes",
        flush=True,
    )

    # 3. Submit, approve and publish through A; the public PDF from B.
    t = time.perf_counter()
    for who, action in ((coord, "submit"), (exec_, "approve")):
        r = who.post(f"{a}{base}/{action}/")
        check(r.status == 302, f"{action} through A answered {r.status}")
    same_on_both(coord, a, b, [f"/a/{KSK}/reports/"], "after submit and approve")
    r = exec_.post(f"{a}{base}/publish/")
    check(r.status == 302, f"publish through A answered {r.status}")
    public = Browser("anonymous")
    published, _ = wait_pdf(public, f"{b}/p/{KSK}/2567/annual.pdf", "publish")
    step("published through A until B served the public PDF (a worker rendered PDF/A-3b)", t)
    close_old_connections()
    version_row = PublishedVersion.objects.get(
        report__agency__code=KSK, report__year__be_year=2567, report__kind="annual"
    )
    from_a = public.get(f"{a}/p/{KSK}/2567/annual.pdf")
    sha = hashlib.sha256(published.body).hexdigest()
    check(from_a.status == 200 and from_a.body == published.body, "A and B serve different public PDFs")
    check(bucket.read(version_row.pdf.name) == published.body, "the bucket holds other bytes")
    check(sha == version_row.sha256 == published.headers.get("X-Content-SHA256"), "SHA-256 differs")
    check((440, 330) in pdf_images(published.body), "the published PDF has no photo")
    print(
        f"            public PDF: same {len(published.body):,} bytes from A, B and the bucket (sha256 {sha[:16]}…)",
        flush=True,
    )
    same_on_both(public, a, b, [f"/p/{KSK}/"], "public list after publishing")
    same_on_both(coord, a, b, pages + [f"/a/{KSK}/reports/"], "after publishing")

    # 4. Both workers at work: four agencies' drafts asked through A and B in turn.
    others = [
        ("nong-bua-ban", "nbb-coord"),
        ("takhram-en", "tke-coord"),
        ("pak-kran", "pkr-coord"),
        ("ubon-pao", "ubn-coord"),
    ]
    browsers = []
    for i, (code, user) in enumerate(others):
        server = (a, b)[i % 2]
        br = Browser(user)
        br.login(server, user)
        browsers.append((code, br, server))
    t = time.perf_counter()
    for code, br, server in browsers:
        check(br.post(f"{server}/a/{code}/reports/2567/annual/preview.pdf").status == 302, f"{code}: draft not queued")
    for code, br, server in browsers:
        other = b if server == a else a
        wait_pdf(br, f"{other}/a/{code}/reports/2567/annual/preview.pdf", f"draft of {code}")
    step("4 drafts of other agencies asked through A and B, all served (2 workers)", t)
    close_old_connections()
    from django_tasks_db.models import DBTaskResult

    workers = {w.rsplit("-", 1)[0] for r in DBTaskResult.objects.all() for w in r.worker_ids}
    check(len(workers) == 2, f"expected both workers to render, saw {sorted(workers)}")
    jobs = RenderJob.objects.filter(agency__code__in=[code for code, _ in others], purpose="preview")
    took = sorted(round((j.finished_at - j.started_at).total_seconds(), 2) for j in jobs)
    check(len(took) == len(others), f"expected {len(others)} render jobs, found {len(took)}")
    print(
        f"            renders by {len(workers)} worker processes: {DBTaskResult.objects.count()} tasks; "
        f"the four drafts took {', '.join(f'{x:.2f}' for x in took)} s each",
        flush=True,
    )

    leftovers = [str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()]
    check(not leftovers, f"files written to MEDIA_ROOT instead of the bucket: {leftovers[:5]}")
    print(f"            MEDIA_ROOT is empty; the bucket holds {len(bucket.keys())} objects", flush=True)


class Bucket:
    def __init__(self, endpoint: str, name: str):
        import boto3

        self.client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        self.name = name

    def create(self) -> None:
        self.client.create_bucket(Bucket=self.name)

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scratch = Path(tempfile.mkdtemp(prefix="ita-multi-"))
    procs = Processes(scratch)
    s3_port, port_a, port_b = free_port(), free_port(), free_port()
    endpoint = f"http://127.0.0.1:{s3_port}"
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "AWS_STORAGE_BUCKET_NAME": "ita-multi",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "ita-multi",
        "AWS_SECRET_ACCESS_KEY": "ita-multi-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(scratch / "static"),
        "MEDIA_ROOT": str(scratch / "media"),
        "LOG_LEVEL": "WARNING",
        "REQUEST_LOG": "1",
        "PYTHON": PY,
        "WORKER_INTERVAL": "0.5",
        "DJANGO_SETTINGS_MODULE": "ita_portal.settings",
    }
    env.pop("TASKS_BACKEND", None)
    (scratch / "media").mkdir()
    os.environ.update(env)
    print(f"== several servers, one truth (logs in {scratch}, kept if the check fails) ==", flush=True)
    ok = False
    try:
        t0 = time.perf_counter()
        procs.start("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)], env)
        wait_http(f"{endpoint}/moto-api/", 60)
        bucket = Bucket(endpoint, "ita-multi")
        bucket.create()
        database("create")
        redis_flush()
        t = time.perf_counter()
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo")
        manage(env, "collectstatic", "--noinput")
        step("setup: migrate, load the demo, collectstatic (PostgreSQL, S3)", t)

        t = time.perf_counter()
        for name, port in (("app-a", port_a), ("app-b", port_b)):
            procs.start(
                name,
                [
                    str(BIN / "gunicorn"),
                    "ita_portal.wsgi",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "120",
                ],
                env,
            )
        for name in ("worker-1", "worker-2"):
            procs.start(name, ["bash", "scripts/worker.sh"], env)
        a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
        wait_http(f"{a}/readyz")
        wait_http(f"{b}/readyz")
        step("2 app servers ready (/readyz: database, migrations, Redis, bucket)", t)

        import django

        django.setup()
        scenario(a, b, bucket, scratch / "media")
        request_lines = sum(
            1 for n in ("app-a", "app-b") for line in open(scratch / f"{n}.log") if line.startswith('{"method"')
        )
        print(f"            {request_lines} request log lines (JSON) written by the two servers", flush=True)
        step("total", t0)
        ok = True
    finally:
        procs.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up yet
            pass
        try:
            database("drop")
            redis_flush()
        except Exception as exc:  # noqa: BLE001 - cleaning up: report, do not mask the real error
            print(f"  clean-up: {type(exc).__name__}: {exc}", flush=True)
        if ok:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            for log in sorted(scratch.glob("*.log")):
                tail = log.read_text(errors="replace").splitlines()[-15:]
                print(f"--- {log.name} (last lines)\n" + "\n".join(tail), flush=True)
    summary = {label: round(seconds, 2) for label, seconds in timings}
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    print("multi-server check passed" if ok else "multi-server check FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
