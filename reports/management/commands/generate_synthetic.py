"""Fill a scratch database with clearly synthetic agencies for scale tests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ita_scale \\
        python manage.py generate_synthetic --agencies 8000 --years 5

Every agency is flagged `is_synthetic`, coded `syn-NNNNN` and named "… (ข้อมูลสังเคราะห์)"; its users
are `syn-NNNNN-coord` and `syn-NNNNN-staff`; oversight users are `syn-national` (all) and
`syn-prov-NN` (one province each). It writes with bulk_create in chunks (no history rows, no
signals), and refuses the project's own db.sqlite3 and any database that holds real agencies
(the demo) unless --alongside-real is given (tests only). Question scores are not generated.
"""

import hashlib
import random
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from agencies.cache import agency_data_touch_all
from agencies.models import Agency, AgencyKind, Division, Membership, OversightScope, Role
from assessments.models import (
    AssessmentResult,
    FiscalYear,
    Indicator,
    IndicatorScore,
    Issue,
    RatingBand,
    Tool,
    ToolScore,
)
from assessments.services import rating_compute
from measures.models import Activity, Measure, Plan, Progress, Round, Status
from reports.models import Kind, PublishedVersion, Report, State

SYNTHETIC_MARK = "(ข้อมูลสังเคราะห์)"
DEFAULT_PASSWORD = "ita-synthetic-2568"
PLACEHOLDER_PDF = "reports/synthetic/placeholder.pdf"

# The 77 provinces (names only: where synthetic agencies are placed, for the filters).
PROVINCES = (
    "กรุงเทพมหานคร กระบี่ กาญจนบุรี กาฬสินธุ์ กำแพงเพชร ขอนแก่น จันทบุรี ฉะเชิงเทรา ชลบุรี ชัยนาท ชัยภูมิ ชุมพร "
    "เชียงราย เชียงใหม่ ตรัง ตราด ตาก นครนายก นครปฐม นครพนม นครราชสีมา นครศรีธรรมราช นครสวรรค์ นนทบุรี "
    "นราธิวาส น่าน บึงกาฬ บุรีรัมย์ ปทุมธานี ประจวบคีรีขันธ์ ปราจีนบุรี ปัตตานี พระนครศรีอยุธยา พะเยา พังงา "
    "พัทลุง พิจิตร พิษณุโลก เพชรบุรี เพชรบูรณ์ แพร่ ภูเก็ต มหาสารคาม มุกดาหาร แม่ฮ่องสอน ยโสธร ยะลา ร้อยเอ็ด "
    "ระนอง ระยอง ราชบุรี ลพบุรี ลำปาง ลำพูน เลย ศรีสะเกษ สกลนคร สงขลา สตูล สมุทรปราการ สมุทรสงคราม "
    "สมุทรสาคร สระแก้ว สระบุรี สิงห์บุรี สุโขทัย สุพรรณบุรี สุราษฎร์ธานี สุรินทร์ หนองคาย หนองบัวลำภู อ่างทอง "
    "อำนาจเจริญ อุดรธานี อุตรดิตถ์ อุทัยธานี อุบลราชธานี"
).split()
KIND_WEIGHTS = [(AgencyKind.SAO, 66), (AgencyKind.TM, 28), (AgencyKind.MM, 3), (AgencyKind.NM, 1), (AgencyKind.PAO, 2)]
DIVISIONS = ["สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม"]
WORDS = (
    "จัดทำ เผยแพร่ ข้อมูลข่าวสาร ประชาชน ตรวจสอบ โปร่งใส จัดซื้อจัดจ้าง งบประมาณ ประชาสัมพันธ์ คู่มือ "
    "การให้บริการ ลดขั้นตอน ผู้บริหาร เจ้าหน้าที่ อบรม คุณธรรม จริยธรรม ทรัพย์สินของราชการ ร้องเรียน "
    "ประจำปี แผนปฏิบัติการ ติดตาม ประเมินผล เว็บไซต์ สำนักปลัด กองคลัง ชุมชน"
).split()

# A one-page PDF that says what it is; every synthetic "published" version points at it.
_PDF = b"""%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 58>>stream
BT /F1 18 Tf 72 770 Td (SYNTHETIC DATA - not a real report) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF
"""


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


class Command(BaseCommand):
    help = "สร้างหน่วยงานสังเคราะห์ (ข้อมูลทดสอบขนาดใหญ่) พร้อมมาตรการ ความก้าวหน้า คะแนน และรายงาน"

    def add_arguments(self, parser):
        parser.add_argument("--agencies", type=int, required=True)
        parser.add_argument("--years", type=int, default=5, help="the last K fiscal years, ending at the current one")
        parser.add_argument("--measures", type=int, default=8, help="mean measures per agency and year (5–12)")
        parser.add_argument("--seed", type=int, default=2568)
        parser.add_argument("--chunk", type=int, default=250, help="agencies per transaction")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of every synthetic user")
        parser.add_argument("--no-users", action="store_true", help="skip per-agency users")
        parser.add_argument("--alongside-real", action="store_true", help="allow real agencies (tests only)")

    # ------------------------------------------------------------------ guards
    def _check_database(self, alongside_real: bool):
        db = connection.settings_dict
        if (
            db["ENGINE"].endswith("sqlite3")
            and Path(str(db["NAME"])).resolve() == (Path(settings.BASE_DIR) / "db.sqlite3").resolve()
        ):
            raise CommandError("ห้ามสร้างข้อมูลสังเคราะห์ในฐานข้อมูลของโครงการ (db.sqlite3): ตั้ง DATABASE_URL เป็นฐานข้อมูลทดสอบ")
        if Agency.objects.filter(is_synthetic=False).exists() and not alongside_real:
            raise CommandError("ฐานข้อมูลนี้มีหน่วยงานจริง (เช่นข้อมูลสาธิต): ใช้ฐานข้อมูลแยกสำหรับข้อมูลสังเคราะห์")
        if Agency.objects.filter(is_synthetic=True).exists():
            raise CommandError("มีข้อมูลสังเคราะห์อยู่แล้ว: สร้างฐานข้อมูลใหม่ (dropdb/createdb แล้ว migrate) ก่อน")

    # ------------------------------------------------------------------ years
    def _years(self, k: int) -> list[FiscalYear]:
        existing = list(FiscalYear.objects.order_by("be_year"))
        if not existing:
            raise CommandError("ยังไม่มีปีงบประมาณ: migrate ก่อน")
        current = next((y for y in existing if y.is_current), existing[-1])
        wanted = list(range(current.be_year - k + 1, current.be_year + 1))
        have = {y.be_year for y in existing}
        template = existing[0]
        for be_year in sorted((y for y in wanted if y not in have), reverse=True):
            # Earlier years than the seeded framework: copy the earliest year's tools, indicators,
            # issues and bands, so that a synthetic history can be that long. Scratch databases only.
            fy = FiscalYear.objects.create(be_year=be_year, target_score=template.target_score)
            tools = {}
            for t in template.tools.all():
                tools[t.id] = Tool.objects.create(year=fy, code=t.code, name=t.name, weight=t.weight, order=t.order)
            for i in template.indicators.all():
                Indicator.objects.create(year=fy, tool=tools[i.tool_id], number=i.number, name=i.name)
            for i in template.issues.all():
                Issue.objects.create(year=fy, number=i.number, title=i.title)
            for b in template.rating_bands.all():
                RatingBand.objects.create(
                    year=fy,
                    label=b.label,
                    min_overall=b.min_overall,
                    min_each_tool=b.min_each_tool,
                    order=b.order,
                    confirmed=b.confirmed,
                )
            self.stdout.write(f"ปีงบประมาณ {be_year}: สร้างโครงสร้างตามปี {template.be_year} (ฐานข้อมูลทดสอบ)")
        return list(FiscalYear.objects.filter(be_year__in=wanted).order_by("be_year"))

    # ------------------------------------------------------------------ main
    def handle(self, *args, agencies: int, years: int, measures: int, seed: int, chunk: int, **opts):
        if agencies < 1 or years < 1:
            raise CommandError("--agencies and --years must be at least 1")
        self._check_database(opts["alongside_real"])
        started = time.monotonic()
        rng = random.Random(seed)
        with transaction.atomic():
            fiscal_years = self._years(years)
        self.framework = {
            fy.id: {
                "tools": list(fy.tools.order_by("order")),
                "indicators": list(fy.indicators.select_related("tool").order_by("number")),
                "issues": list(fy.issues.order_by("number")),
                "bands": list(fy.rating_bands.order_by("order")),
            }
            for fy in fiscal_years
        }
        current = max(fy.be_year for fy in fiscal_years)
        password = make_password(opts["password"])  # hashed once, shared by every synthetic user
        if not default_storage.exists(PLACEHOLDER_PDF):
            default_storage.save(PLACEHOLDER_PDF, ContentFile(_PDF))
        self.pdf_sha = hashlib.sha256(_PDF).hexdigest()
        self._oversight_users(password)
        totals: dict[str, int] = {}
        for start in range(0, agencies, chunk):
            n = min(chunk, agencies - start)
            with transaction.atomic():
                counts = self._chunk(rng, start, n, fiscal_years, current, measures, password, not opts["no_users"])
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
            self.stdout.write(f"  {start + n:>6}/{agencies} หน่วยงาน ({time.monotonic() - started:6.1f} s)")
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute("ANALYZE")
        summary = ", ".join(f"{k} {v:,}" for k, v in totals.items())
        agency_data_touch_all()  # written in bulk, without the signals that keep page caches fresh
        self.stdout.write(self.style.SUCCESS(f"เสร็จใน {time.monotonic() - started:.1f} s: {summary}"))

    def _oversight_users(self, password: str):
        User = get_user_model()
        users = [User(username="syn-national", first_name="ผู้กำกับดูแลระดับประเทศ", last_name=SYNTHETIC_MARK)]
        users += [
            User(username=f"syn-prov-{i:02d}", first_name=f"สำนักงานจังหวัด{p}", last_name=SYNTHETIC_MARK)
            for i, p in enumerate(PROVINCES, start=1)
        ]
        for u in users:
            u.password = password
        User.objects.bulk_create(users)
        scopes = [OversightScope(user=users[0], title=f"สำนักงานระดับประเทศ {SYNTHETIC_MARK}")]
        scopes += [
            OversightScope(user=u, title=f"สำนักงานจังหวัด{p} {SYNTHETIC_MARK}", province=p)
            for u, p in zip(users[1:], PROVINCES)
        ]
        OversightScope.objects.bulk_create(scopes)

    def _chunk(self, rng, start, n, fiscal_years, current, mean_measures, password, with_users) -> dict[str, int]:
        kinds, weights = zip(*KIND_WEIGHTS)
        new_agencies = []
        for i in range(start + 1, start + n + 1):
            kind = rng.choices(kinds, weights)[0]
            province = PROVINCES[(i - 1) % len(PROVINCES)]
            new_agencies.append(
                Agency(
                    code=f"syn-{i:05d}",
                    kind=kind,
                    name=f"{AgencyKind(kind).label}สังเคราะห์ที่ {i:05d} {SYNTHETIC_MARK}",
                    district=f"สังเคราะห์ {rng.randint(1, 10)}",
                    province=province,
                    is_synthetic=True,
                )
            )
        Agency.objects.bulk_create(new_agencies)
        divisions = Division.objects.bulk_create(
            [Division(agency=a, name=name, order=o) for a in new_agencies for o, name in enumerate(DIVISIONS)]
        )
        div_by_agency: dict[int, list[Division]] = {}
        for d in divisions:
            div_by_agency.setdefault(d.agency_id, []).append(d)
        counts = {"agencies": n, "divisions": len(divisions)}
        if with_users:
            counts.update(self._users(new_agencies, div_by_agency, password))

        plans, measures, measure_meta = [], [], []
        results, result_meta = [], []
        reports = []
        for a in new_agencies:
            base = Decimal(str(round(min(99.0, max(55.0, rng.gauss(86, 7))), 2)))
            for fy in fiscal_years:
                fw = self.framework[fy.id]
                plans.append(
                    Plan(
                        agency=a,
                        year=fy,
                        intro=f"แผนสังเคราะห์ของ{a.name} ปี {fy.be_year}",
                        signatory_name="นายสังเคราะห์ ทดสอบ",
                        signatory_position="นายกองค์การบริหารส่วนตำบล",
                    )
                )
                for order in range(max(3, int(rng.gauss(mean_measures, 2)))):
                    issue = rng.choice(fw["issues"]) if fw["issues"] else None
                    tool = rng.choice(fw["tools"]) if fw["tools"] else None
                    measures.append(
                        Measure(
                            agency=a,
                            year=fy,
                            order=order,
                            number=str(order + 1),
                            issue=issue,
                            tool=tool,
                            title=f"มาตรการ{_text(rng, 6)}",
                            steps=f"1. {_text(rng, 8)}\n2. {_text(rng, 8)}",
                            period=f"ต.ค. {fy.be_year - 1} – ก.ย. {fy.be_year}",
                            monitoring=_text(rng, 6),
                        )
                    )
                    measure_meta.append((a.id, fy.be_year, rng.random() < 0.3))
                # Scores rise by about a point a year, with noise per indicator.
                trend = Decimal(fy.be_year - current) * Decimal("1.2")
                ind_scores = {}
                for ind in fw["indicators"]:
                    s = float(base + trend) + rng.gauss(0, 6)
                    ind_scores[ind] = Decimal(str(round(min(100.0, max(30.0, s)), 2)))
                tool_scores = {}
                for t in fw["tools"]:
                    vals = [s for ind, s in ind_scores.items() if ind.tool_id == t.id]
                    if vals:
                        tool_scores[t] = (sum(vals) / len(vals)).quantize(Decimal("0.01"))
                weights_sum = sum((t.weight or 0) for t in tool_scores) or 1
                overall = (sum(s * (t.weight or 0) for t, s in tool_scores.items()) / weights_sum).quantize(
                    Decimal("0.01")
                )
                level = rating_compute(bands=fw["bands"], overall=overall, tool_scores=tool_scores.values()) or ""
                results.append(AssessmentResult(agency=a, year=fy, overall=overall, level_awarded=level))
                result_meta.append((ind_scores, tool_scores))
                # Reports: past years mostly published; the current year's six-month report for half.
                for kind, share in (
                    (Kind.SIX_MONTH, 0.5 if fy.be_year == current else 0.8),
                    (Kind.ANNUAL, 0.0 if fy.be_year == current else 0.75),
                ):
                    if rng.random() < share:
                        reports.append(Report(agency=a, year=fy, kind=kind, state=State.PUBLISHED))
        Plan.objects.bulk_create(plans)
        Measure.objects.bulk_create(measures, batch_size=2000)
        counts["measures"] = len(measures)

        # Divisions of measures and activities; progress per item and round.
        mdiv, activities, act_parent = [], [], []
        for m, (agency_id, be_year, with_activity) in zip(measures, measure_meta):
            divs = div_by_agency[agency_id]
            for d in rng.sample(divs, rng.randint(1, 2)):
                mdiv.append(Measure.divisions.through(measure_id=m.id, division_id=d.id))
            if with_activity:
                for k in range(rng.randint(1, 2)):
                    activities.append(Activity(measure=m, order=k, title=f"กิจกรรม{_text(rng, 5)}"))
                    act_parent.append((m, be_year, rng.choice(divs)))
        Measure.divisions.through.objects.bulk_create(mdiv, batch_size=5000)
        Activity.objects.bulk_create(activities, batch_size=2000)
        ActivityDivision = Activity.divisions.through
        ActivityDivision.objects.bulk_create(
            [ActivityDivision(activity_id=a.id, division_id=d.id) for a, (_, _, d) in zip(activities, act_parent)],
            batch_size=5000,
        )
        counts["activities"] = len(activities)
        items = [(m, None, be_year) for m, (_, be_year, with_act) in zip(measures, measure_meta) if not with_act]
        items += [(m, a, be_year) for a, (m, be_year, _) in zip(activities, act_parent)]
        progress = []
        statuses = [Status.DONE, Status.IN_PROGRESS, Status.NOT_STARTED, Status.UNABLE]
        for m, a, be_year in items:
            rounds = [Round.SIX_MONTH] if be_year == current else [Round.SIX_MONTH, Round.ANNUAL]
            for rnd in rounds:
                status = rng.choices(statuses, [60, 25, 12, 3] if rnd == Round.ANNUAL else [35, 45, 18, 2])[0]
                progress.append(
                    Progress(
                        measure=m,
                        activity=a,
                        round=rnd,
                        status=status,
                        output=_text(rng, 12) if status != Status.NOT_STARTED else "",
                        outcome=_text(rng, 8) if status == Status.DONE else "",
                    )
                )
        Progress.objects.bulk_create(progress, batch_size=5000)
        counts["progress"] = len(progress)

        AssessmentResult.objects.bulk_create(results, batch_size=5000)
        tool_rows, ind_rows = [], []
        for r, (ind_scores, tool_scores) in zip(results, result_meta):
            tool_rows += [ToolScore(result=r, tool=t, score=s) for t, s in tool_scores.items()]
            ind_rows += [IndicatorScore(result=r, indicator=i, score=s) for i, s in ind_scores.items()]
        ToolScore.objects.bulk_create(tool_rows, batch_size=5000)
        IndicatorScore.objects.bulk_create(ind_rows, batch_size=5000)
        counts["results"] = len(results)
        counts["indicator scores"] = len(ind_rows)

        Report.objects.bulk_create(reports, batch_size=5000)
        PublishedVersion.objects.bulk_create(
            [
                PublishedVersion(
                    report=r,
                    version=1,
                    pdf=PLACEHOLDER_PDF,
                    sha256=self.pdf_sha,
                    size=len(_PDF),
                    data_hash="synthetic",
                )
                for r in reports
            ],
            batch_size=5000,
        )
        counts["published reports"] = len(reports)
        return counts

    def _users(self, agencies, div_by_agency, password) -> dict[str, int]:
        User = get_user_model()
        users, roles = [], []
        for a in agencies:
            for role in (Role.COORDINATOR, Role.STAFF):
                short = "coord" if role == Role.COORDINATOR else "staff"
                users.append(User(username=f"{a.code}-{short}", first_name=f"ผู้ใช้สังเคราะห์ {a.code}", password=password))
                roles.append((a, role))
        User.objects.bulk_create(users, batch_size=5000)
        memberships = [Membership(user=u, agency=a, role=role) for u, (a, role) in zip(users, roles)]
        Membership.objects.bulk_create(memberships, batch_size=5000)
        Membership.divisions.through.objects.bulk_create(
            [
                Membership.divisions.through(membership_id=m.id, division_id=div_by_agency[m.agency_id][0].id)
                for m in memberships
                if m.role == Role.STAFF
            ],
            batch_size=5000,
        )
        return {"users": len(users)}
