"""Demo data: the five seed agencies, transcribed in fixtures/demo/*.json, and demo users.

Loading is idempotent: each demo agency's measures, scores, plans and report layouts are
replaced by the file's content; users and memberships are created once and kept. Run by
`manage.py load_demo` and by the tests' session setup (tests/conftest.py).
"""

import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from agencies.models import Agency, Division, Membership, OversightScope, Role
from assessments.models import AssessmentResult, FiscalYear, Indicator, Issue, Question, Tool
from assessments.services import result_save
from measures.models import Activity, EvidenceLink, EvidencePhoto, Measure, Plan, Progress
from measures.services import PRINT_MAX_PX, photo_process
from reports.models import COLUMNS, Report
from reports.services import report_sections_set

from .photos import demo_photo_jpeg

DEMO_DIR = settings.BASE_DIR / "fixtures" / "demo"
DEMO_PASSWORD = "ita-demo-2568"

# agency code → login prefix
DEMO_USERS = {
    "khao-samo-khon": "ksk",
    "nong-bua-ban": "nbb",
    "takhram-en": "tke",
    "pak-kran": "pkr",
    "ubon-pao": "ubn",
}
OVERSIGHT_USERS = [
    ("lopburi-office", "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดลพบุรี", "ลพบุรี"),
    ("national-office", "ผู้กำกับดูแลระดับประเทศ (ตัวอย่าง)", ""),
]


def demo_files() -> list[Path]:
    return sorted(DEMO_DIR.glob("*.json"))


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _date(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@transaction.atomic
def demo_load_agency(*, data: dict) -> Agency:
    a = data["agency"]
    agency, _ = Agency.objects.update_or_create(
        code=a["code"],
        defaults={
            "kind": a["kind"],
            "name": a["name"],
            "district": a.get("district") or "",
            "province": a.get("province") or "",
            "is_synthetic": False,
        },
    )
    # Replace the agency's content; divisions are kept so memberships survive a reload. The demo
    # photos' files go with their rows (a reload draws them again).
    for photo in EvidencePhoto.objects.filter(progress__measure__agency=agency):
        photo.image.delete(save=False)
        photo.print_image.delete(save=False)
    Measure.objects.filter(agency=agency).delete()
    drawn = 0
    AssessmentResult.objects.filter(agency=agency).delete()
    Plan.objects.filter(agency=agency).delete()
    Report.objects.filter(agency=agency, versions__isnull=True).delete()

    divisions = {}
    for order, name in enumerate(data.get("divisions", []), start=1):
        divisions[name], _ = Division.objects.update_or_create(agency=agency, name=name, defaults={"order": order})

    years = {y.be_year: y for y in FiscalYear.objects.all()}

    for s in data.get("scores", []):
        year = years[s["year"]]
        tools = {t.code: t for t in Tool.objects.filter(year=year)}
        indicators = {i.number: i for i in Indicator.objects.filter(year=year)}
        questions = {}
        for q in s.get("questions", []):
            question, _ = Question.objects.update_or_create(
                year=year,
                code=q["code"],
                defaults={
                    "tool": tools[q["tool"]],
                    "indicator": indicators.get(q.get("indicator")),
                    "text": q["text"],
                },
            )
            questions[question] = _dec(q.get("score"))
        result = result_save(
            agency=agency,
            year=year,
            overall=_dec(s.get("overall")),
            level_awarded=s.get("level_awarded") or "",
            tool_scores={tools[k]: _dec(v) for k, v in (s.get("tools") or {}).items() if v is not None},
            indicator_scores={
                indicators[int(k)]: _dec(v) for k, v in (s.get("indicators") or {}).items() if v is not None
            },
            question_scores={q: v for q, v in questions.items() if v is not None},
        )
        for number, remedy in (s.get("indicator_remedies") or {}).items():
            result.indicator_scores.filter(indicator__number=int(number)).update(remedy=remedy)
        for q in s.get("questions", []):
            if q.get("remedy"):
                result.question_scores.filter(question__code=q["code"]).update(remedy=q["remedy"])

    for doc in data.get("documents", []):
        # The analysis report is about the assessed year; its measures (and narrative) are next year's.
        plan_year = doc["year"] + 1 if doc["kind"] == "analysis" else doc["year"]
        sig = doc.get("signatory") or {}
        Plan.objects.update_or_create(
            agency=agency,
            year=years[plan_year],
            defaults={
                "intro": doc.get("intro") or "",
                "recommendations": doc.get("recommendations") or "",
                "signatory_name": sig.get("name") or "",
                "signatory_position": sig.get("position") or "",
            },
        )
        columns = [c for c in doc.get("columns", []) if c in COLUMNS]
        report, _ = Report.objects.update_or_create(
            agency=agency,
            year=years[doc["year"]],
            kind=doc["kind"],
            defaults={
                "title": doc.get("title") or "",
                "grouping": doc.get("grouping") or "none",
                "columns": columns,
                "thai_digits": bool(doc.get("thai_digits")),
                "show_cover": doc.get("has_cover", True),
                "layout": doc.get("layout") or {},
                "labels": doc.get("labels") or {},
                "show_photos": bool(doc.get("has_photos")),
                "show_score_table": bool(doc.get("has_score_table")),
                "show_score_chart": bool(doc.get("has_score_chart")),
                "signatory_name": sig.get("name") or "",
                "signatory_position": sig.get("position") or "",
                "signed_on": _date(sig.get("date")),
            },
        )
        report_sections_set(report=report, sections=doc.get("sections") or [])

    for order, m in enumerate(data.get("measures", []), start=1):
        year = years[m["year"]]
        measure = Measure.objects.create(
            agency=agency,
            year=year,
            order=order,
            number=m.get("number") or "",
            issue=Issue.objects.filter(year=year, number=m["issue"]).first() if m.get("issue") else None,
            tool=Tool.objects.filter(year=year, code=m["tool"]).first() if m.get("tool") else None,
            focus=m.get("focus") or "",
            title=m.get("title") or "",
            steps=m.get("steps") or "",
            period=m.get("period") or "",
            responsible_note=m.get("responsible_note") or "",
            monitoring=m.get("monitoring") or "",
            budget=_dec(m.get("budget")),
        )
        measure.divisions.set([divisions[n] for n in m.get("divisions", [])])
        measure.indicators.set(Indicator.objects.filter(year=year, number__in=m.get("indicators", [])))
        activities = []
        for a_order, act in enumerate(m.get("activities", []), start=1):
            activity = Activity.objects.create(
                measure=measure,
                order=a_order,
                title=act.get("title") or "",
                steps=act.get("steps") or "",
                period=act.get("period") or "",
            )
            activity.divisions.set([divisions[n] for n in act.get("divisions", [])])
            activities.append(activity)
        for p in m.get("progress", []):
            progress = Progress.objects.create(
                measure=measure,
                activity=activities[p["activity"]] if p.get("activity") is not None else None,
                round=p["round"],
                status=p.get("status") or "",
                output=p.get("output") or "",
                outcome=p.get("outcome") or "",
                completed_on=_date(p.get("completed_on")),
                budget_spent=_dec(p.get("budget_spent")),
            )
            for i, photo in enumerate(p.get("photos", [])):
                # The seeds are text: their photos are not available, their captions are. A drawn
                # picture marked as a demo stands in, stored as an upload is (demo/photos.py).
                upload = SimpleUploadedFile("demo.jpg", demo_photo_jpeg(index=drawn), content_type="image/jpeg")
                drawn += 1
                evidence = EvidencePhoto(progress=progress, caption=photo.get("caption") or "", order=i)
                evidence.image.save("demo.jpg", photo_process(upload=upload), save=False)
                evidence.print_image.save("print.jpg", photo_process(upload=upload, max_px=PRINT_MAX_PX), save=False)
                evidence.save()
            for link in p.get("links", []):
                url, label = (link, "") if isinstance(link, str) else (link["url"], link.get("label", ""))
                EvidenceLink.objects.create(progress=progress, url=url, label=label)
    return agency


def demo_users(*, agency: Agency, prefix: str) -> list[tuple[str, str, str]]:
    """Create (once) a coordinator, an executive, a viewer and two division staff."""
    User = get_user_model()
    created = []

    def ensure(username, first, role, divisions=(), position=""):
        user, new = User.objects.get_or_create(username=username, defaults={"first_name": first})
        if new:
            user.set_password(DEMO_PASSWORD)
            user.save()
        m, _ = Membership.objects.update_or_create(
            user=user, agency=agency, defaults={"role": role, "position": position}
        )
        m.divisions.set(divisions)
        created.append((username, role, ", ".join(d.name for d in divisions)))

    ensure(f"{prefix}-coord", "ผู้ประสานงาน ITA (ตัวอย่าง)", Role.COORDINATOR)
    ensure(f"{prefix}-exec", "ผู้บริหาร (ตัวอย่าง)", Role.EXECUTIVE)
    ensure(f"{prefix}-viewer", "ผู้อ่าน (ตัวอย่าง)", Role.VIEWER)
    for i, division in enumerate(Division.objects.for_agency(agency)[:2], start=1):
        ensure(f"{prefix}-staff{i}", f"เจ้าหน้าที่{division.name} (ตัวอย่าง)", Role.STAFF, [division])
    return created


def demo_load_all() -> list[Agency]:
    agencies = []
    for path in demo_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        agency = demo_load_agency(data=data)
        demo_users(agency=agency, prefix=DEMO_USERS.get(agency.code, agency.code[:6]))
        agencies.append(agency)
    User = get_user_model()
    for username, title, province in OVERSIGHT_USERS:
        user, new = User.objects.get_or_create(username=username, defaults={"first_name": title})
        if new:
            user.set_password(DEMO_PASSWORD)
            user.save()
        OversightScope.objects.get_or_create(user=user, defaults={"title": title, "province": province})
    return agencies
