"""The README's first command does the main job: `bash scripts/start.sh` serves the portal and
renders PDFs, with nothing else started by hand.

The script runs as a newcomer would run it (packages already installed: SKIP_SETUP=1), on a
free port, with its own SQLite database and media folder so that it touches nothing of the
developer's; a coordinator logs in with Chromium, asks for the draft and gets a PDF.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from .conftest import E2E, ROOT

pytestmark = [*E2E, pytest.mark.slow]

DRAFT = "/a/pak-kran/reports/2567/annual/preview.pdf"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"scripts/start.sh stopped (exit {proc.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def quick_start(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)  # the embedded default, as a newcomer gets it
    env.pop("REDIS_URL", None)
    env |= {
        "SKIP_SETUP": "1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'quickstart.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "REPORT_CHUNK_CACHE_DIR": str(tmp_path / "chunks"),
    }
    log = open(tmp_path / "start.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "start.sh")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/login/", proc, 240)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        print((tmp_path / "start.log").read_text(errors="replace")[-3000:])


def test_quick_start_serves_and_renders_a_draft_pdf(browser, quick_start):
    from demo.services import DEMO_PASSWORD

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(quick_start + "/login/")
    page.get_by_label("ชื่อผู้ใช้").fill("pkr-coord")
    page.get_by_label("รหัสผ่าน").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.goto(quick_start + "/a/pak-kran/reports/2567/annual/")
    assert "ดูฉบับร่าง (PDF)" in page.content()

    # Opening the draft queues nothing (a GET); its button queues it: the waiting page, in Thai.
    page.goto(quick_start + DRAFT)
    with page.expect_navigation():
        page.get_by_role("button", name="สร้างฉบับร่าง").click()
    assert "กำลังสร้างรายงาน" in page.content()

    # The worker that start.sh runs beside the server renders it; the page then serves the PDF.
    deadline = time.monotonic() + 120
    while True:
        r = page.request.get(quick_start + DRAFT)
        if r.headers.get("content-type") == "application/pdf":
            break
        assert "ยังไม่มีตัวประมวลผลรับงาน" not in r.text(), "no worker took the draft"
        assert time.monotonic() < deadline, "no PDF within 120 s"
        time.sleep(2)
    pdf = r.body()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    context.close()
