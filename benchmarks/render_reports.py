"""Report rendering benchmark: prints wall time, pages/s, peak memory and bytes.

    .venv/bin/python benchmarks/render_reports.py            # all cases, each in its own process

Cases: the khao-samo-khon 2567 annual report (cold and warm), a ~100-page synthetic dense table
report, and a report with 24 phone photos (4000×3000 JPEG, downscaled once at upload). Runs on
a scratch SQLite database and media folder under /tmp, never on the project's own data.
"""

import argparse
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = Path(os.environ.get("ITA_BENCH_DIR") or Path(tempfile.gettempdir()) / "ita-bench-reports")


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ita_portal.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-scratch-data-only-" + "k" * 40)  # never a production key
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
    os.environ.setdefault("MEDIA_ROOT", str(SCRATCH / "media"))
    import django

    django.setup()


def prepare():
    SCRATCH.mkdir(parents=True, exist_ok=True)
    (SCRATCH / "bench.sqlite3").unlink(missing_ok=True)
    setup_django()
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0)
    from demo.services import demo_load_all

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        demo_load_all()
    make_synthetic_table_agency()
    make_photo_agency()


def make_synthetic_table_agency():
    from agencies.models import Agency, Division
    from assessments.models import FiscalYear, Issue
    from measures.models import Measure, Progress

    rng = random.Random(7)
    words = "ดำเนินการ ประจำปี สำนักปลัด กองคลัง จัดซื้อจัดจ้าง เผยแพร่ ข้อมูลข่าวสาร ประชาชน ตรวจสอบ โปร่งใส".split()
    agency = Agency.objects.create(code="synthetic-table", kind="SAO", name="อบต.สังเคราะห์ (ตาราง)", is_synthetic=True)
    division = Division.objects.create(agency=agency, name="สำนักปลัด")
    year = FiscalYear.objects.get(be_year=2567)
    issues = list(Issue.objects.filter(year=year))
    for i in range(260):
        m = Measure.objects.create(
            agency=agency, year=year, order=i, number=str(i + 1), issue=issues[i % 7],
            title=" ".join(rng.choices(words, k=12)),
            steps="\n".join(f"{n}. " + " ".join(rng.choices(words, k=10)) for n in range(1, 4)),
            period="ต.ค. 2566 – ก.ย. 2567",
        )  # fmt: skip
        m.divisions.set([division])
        Progress.objects.create(
            measure=m, round="annual", status="done",
            output=" ".join(rng.choices(words, k=25)), outcome=" ".join(rng.choices(words, k=15)),
        )  # fmt: skip


def phone_photo(seed: int) -> bytes:
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    small = Image.effect_noise((400, 300), 60).convert("RGB")
    img = small.resize((4000, 3000)).filter(ImageFilter.GaussianBlur(2))
    tint = Image.new("RGB", img.size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    img = Image.blend(img, tint, 0.4)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def make_photo_agency():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agencies.models import Agency, Division
    from assessments.models import FiscalYear
    from measures.models import EvidencePhoto, Measure, Progress
    from measures.services import PRINT_MAX_PX, photo_process

    agency = Agency.objects.create(code="synthetic-photos", kind="SAO", name="อบต.สังเคราะห์ (ภาพ)", is_synthetic=True)
    division = Division.objects.create(agency=agency, name="สำนักปลัด")
    year = FiscalYear.objects.get(be_year=2567)
    sizes = []
    for i in range(6):
        m = Measure.objects.create(agency=agency, year=year, order=i, title=f"มาตรการที่ {i + 1}")
        m.divisions.set([division])
        p = Progress.objects.create(measure=m, round="annual", status="done", output="ดำเนินการแล้วเสร็จ")
        for j in range(4):
            raw = phone_photo(i * 10 + j)
            sizes.append(len(raw))
            upload = SimpleUploadedFile("IMG.JPG", raw, content_type="image/jpeg")
            photo = EvidencePhoto(progress=p, caption=f"ภาพกิจกรรมที่ {j + 1}", order=j)
            photo.image.save("photo.jpg", photo_process(upload=upload), save=False)
            photo.print_image.save("print.jpg", photo_process(upload=upload, max_px=PRINT_MAX_PX))
    print(f"photos: 24 uploads of {sum(sizes) / len(sizes) / 1e6:.1f} MB average, stored downscaled")


def run_case(name: str):
    setup_django()
    import pymupdf

    from agencies.models import Agency
    from assessments.models import FiscalYear
    from reports.rendering import render_pdf
    from reports.selectors import report_context, report_get_or_default

    code, be_year, options = {
        "seed000": ("khao-samo-khon", 2567, {}),
        "dense": ("synthetic-table", 2567, {"columns": ["number", "measure", "steps", "period", "output", "outcome"]}),
        "photos": ("synthetic-photos", 2567, {"show_photos": True}),
    }[name]
    report = report_get_or_default(
        agency=Agency.objects.get(code=code), year=FiscalYear.objects.get(be_year=be_year), kind="annual"
    )
    for k, v in options.items():
        setattr(report, k, v)
    context = report_context(report=report)
    timings = []
    for _ in range(3):  # the first run is cold (fonts, templates); the others warm
        start = time.perf_counter()
        pdf = render_pdf(context)
        timings.append(time.perf_counter() - start)
    pages = pymupdf.open(stream=pdf, filetype="pdf").page_count
    warm = min(timings[1:])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name:8s} pages={pages:4d} cold={timings[0]:6.2f}s warm={warm:6.2f}s "
        f"pages/s(warm)={pages / warm:6.1f} peak_rss={peak_mb:6.0f} MB bytes={len(pdf):,}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=["seed000", "dense", "photos"])
    args = parser.parse_args()
    if args.case:
        run_case(args.case)
        return
    prepare()
    for case in ("seed000", "dense", "photos"):
        subprocess.run([sys.executable, __file__, "--case", case], check=True)


if __name__ == "__main__":
    main()
