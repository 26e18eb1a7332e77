"""The demo's published side (`load_demo --publish`): reports published through the real services
and a 2566 OIT page with evidence of each kind, so that a fresh clone shows a populated public OIT
page and a readiness page with something to fix.

Idempotent: a report that has a published version is not published again, and evidence is added
only when the agency has none with the same item and title. Kept out of the default `load_demo`
(the test sessions load it) because each report is rendered by the real renderer (seconds each).
"""

from pathlib import Path

import pymupdf
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from agencies.access import access_for
from agencies.models import Agency
from oit.models import OitEvidence, OitItem, Source
from oit.services import oit_evidence_add
from reports.models import PublishedVersion, Report
from reports.services import report_approve, report_publish_render_and_store, report_submit

from .services import DEMO_USERS

# The demo agencies given their published reports and a 2566 OIT page. takhram-en's analysis of
# 2565 (seed 002, with the 2566 measures) answers O42 of 2566 and ubon-pao's six-month report of
# 2566 (seed 004) answers O43, by the items' rules; the other two publish 2567 reports, and one
# of those stands under O43 of 2566 by mistake, for readiness to flag.
DEMO_OIT_AGENCIES = ("khao-samo-khon", "pak-kran", "takhram-en", "ubon-pao")
WRONG_YEAR_AGENCIES = ("khao-samo-khon", "pak-kran")
OIT_YEAR = 2566
NACC_URL = "https://www.nacc.go.th/"


def _demo_user(agency: Agency, role: str):
    return get_user_model().objects.get(username=f"{DEMO_USERS[agency.code]}-{role}")


def demo_publish_reports(*, agency: Agency) -> list[PublishedVersion]:
    """Publish each report of the demo data that has none yet: proposed by the coordinator,
    approved by the executive, rendered and stored as the worker does."""
    coord, executive = _demo_user(agency, "coord"), _demo_user(agency, "exec")
    coord_access, exec_access = access_for(coord, agency), access_for(executive, agency)
    published = []
    for report in Report.objects.filter(agency=agency, versions__isnull=True).select_related("agency", "year"):
        report_submit(access=coord_access, report=report, user=coord)
        report_approve(access=exec_access, report=report, user=executive)
        published.append(report_publish_render_and_store(report=report, user=executive))
    return published


def demo_pdf(*, lines: list[str]) -> bytes:
    """A small one-page PDF in Sarabun (an uploaded scan stands in for the agency's own document)."""
    doc = pymupdf.open()
    page = doc.new_page()
    font = str(Path(settings.SARABUN_DIR) / "Sarabun-Regular.ttf")
    for i, line in enumerate(lines):
        page.insert_text((72, 90 + 24 * i), line, fontname="sarabun", fontfile=font, fontsize=14)
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


def demo_publish_oit(*, agency: Agency) -> list[OitEvidence]:
    """Publish the agency's reports, then give its 2566 OIT page an uploaded PDF, an external link
    and, for khao-samo-khon and pak-kran, on purpose, a report of the wrong year (so that readiness
    has a problem to show). Published reports of the right kind and year need no adding."""
    demo_publish_reports(agency=agency)
    coord = _demo_user(agency, "coord")
    access = access_for(coord, agency)
    items = {i.code: i for i in OitItem.objects.filter(year__be_year=OIT_YEAR)}
    wanted = [
        (
            "O2",
            Source.FILE,
            "ทำเนียบผู้บริหาร ปีงบประมาณ พ.ศ. 2566",
            {
                "upload": ContentFile(
                    demo_pdf(lines=[agency.name, "ทำเนียบผู้บริหาร ปีงบประมาณ พ.ศ. 2566", "(เอกสารตัวอย่าง)"]),
                    name="o2.pdf",
                )
            },
        ),
        ("O6", Source.URL, "กฎหมายที่เกี่ยวข้อง (เว็บไซต์สำนักงาน ป.ป.ช.)", {"url": NACC_URL}),
    ]
    # The newest published report stands, by mistake, for O43 of 2566: readiness flags its year.
    wrong_year = agency.code in WRONG_YEAR_AGENCIES and (
        Report.objects.filter(agency=agency, versions__isnull=False)
        .exclude(year__be_year=items["O43"].evidence_be_year)
        .order_by("-year__be_year", "kind")
        .distinct()
        .first()
    )
    if wrong_year:
        title = f"{wrong_year.get_kind_display()} ปีงบประมาณ พ.ศ. {wrong_year.year.be_year}"
        wanted.append(("O43", Source.REPORT, title, {"report": wrong_year}))
    added = []
    for code, source, title, extra in wanted:
        item = items[code]
        if OitEvidence.objects.filter(agency=agency, item=item, title=title).exists():
            continue
        added.append(oit_evidence_add(access=access, item=item, source=source, title=title, user=coord, **extra))
    return added


def demo_publish_all() -> list[tuple[Agency, list[OitEvidence]]]:
    return [(agency, demo_publish_oit(agency=agency)) for agency in Agency.objects.filter(code__in=DEMO_OIT_AGENCIES)]
