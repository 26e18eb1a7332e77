"""Synthetic agencies for scale tests: clearly marked, written in bulk, kept apart from the demo.

Every agency is flagged `is_synthetic`, coded `syn-NNNNN` and named "… (ข้อมูลสังเคราะห์)"; its users
are `syn-NNNNN-coord` and `syn-NNNNN-staff`; oversight users are `syn-national` (all) and
`syn-prov-NN` (one province each). Rows are written with bulk_create (no history rows, no
signals). The content of each agency (measures, progress, scores, reports) is in
demo/synthetic_content.py; `manage.py generate_synthetic` drives both.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from agencies.models import Agency, AgencyKind, Division, Membership, OversightScope, Role
from assessments.models import FiscalYear, Indicator, Issue, RatingBand, Tool

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

# A one-page PDF that says what it is; every synthetic "published" version points at it.
PDF = b"""%PDF-1.4
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


class SyntheticError(Exception):
    """Why synthetic data cannot be written here (in Thai, shown to whoever runs the command)."""


@dataclass
class Framework:
    """A fiscal year's assessment framework, read once for the whole run."""

    year: FiscalYear
    tools: list[Tool]
    indicators: list[Indicator]
    issues: list[Issue]
    bands: list[RatingBand]


def synthetic_database_check(*, alongside_real: bool) -> None:
    """Refuse the project's own db.sqlite3, a database with real agencies (unless asked), and a second run."""
    db = connection.settings_dict
    if (
        db["ENGINE"].endswith("sqlite3")
        and Path(str(db["NAME"])).resolve() == (Path(settings.BASE_DIR) / "db.sqlite3").resolve()
    ):
        raise SyntheticError("ห้ามสร้างข้อมูลสังเคราะห์ในฐานข้อมูลของโครงการ (db.sqlite3): ตั้ง DATABASE_URL เป็นฐานข้อมูลทดสอบ")
    if Agency.objects.filter(is_synthetic=False).exists() and not alongside_real:
        raise SyntheticError("ฐานข้อมูลนี้มีหน่วยงานจริง (เช่นข้อมูลสาธิต): ใช้ฐานข้อมูลแยกสำหรับข้อมูลสังเคราะห์")
    if Agency.objects.filter(is_synthetic=True).exists():
        raise SyntheticError("มีข้อมูลสังเคราะห์อยู่แล้ว: สร้างฐานข้อมูลใหม่ (dropdb/createdb แล้ว migrate) ก่อน")


def synthetic_years_ensure(*, count: int, log: Callable[[str], None] = lambda line: None) -> list[FiscalYear]:
    """The last `count` fiscal years up to the current one, creating the missing earlier ones.

    An earlier year than the seeded framework copies the earliest year's tools, indicators, issues
    and bands, so that a synthetic history can be that long. Scratch databases only.
    """
    existing = list(FiscalYear.objects.order_by("be_year"))
    if not existing:
        raise SyntheticError("ยังไม่มีปีงบประมาณ: migrate ก่อน")
    current = next((y for y in existing if y.is_current), existing[-1])
    wanted = list(range(current.be_year - count + 1, current.be_year + 1))
    have = {y.be_year for y in existing}
    template = existing[0]
    for be_year in sorted((y for y in wanted if y not in have), reverse=True):
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
        log(f"ปีงบประมาณ {be_year}: สร้างโครงสร้างตามปี {template.be_year} (ฐานข้อมูลทดสอบ)")
    return list(FiscalYear.objects.filter(be_year__in=wanted).order_by("be_year"))


def synthetic_frameworks(*, years: list[FiscalYear]) -> dict[int, Framework]:
    """Each year's framework by year id (a few queries per year, once per run)."""
    return {
        fy.id: Framework(
            year=fy,
            tools=list(fy.tools.order_by("order")),
            indicators=list(fy.indicators.select_related("tool").order_by("number")),
            issues=list(fy.issues.order_by("number")),
            bands=list(fy.rating_bands.order_by("order")),
        )
        for fy in years
    }


def synthetic_placeholder_pdf() -> str:
    """Store the placeholder PDF once; its SHA-256, which every synthetic version carries."""
    if not default_storage.exists(PLACEHOLDER_PDF):
        default_storage.save(PLACEHOLDER_PDF, ContentFile(PDF))
    return hashlib.sha256(PDF).hexdigest()


def synthetic_oversight_users_create(*, password: str) -> None:
    """`syn-national` reads every agency; `syn-prov-NN` one province each. `password` is a hash."""
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


def synthetic_agencies_create(*, rng, start: int, n: int) -> tuple[list[Agency], dict[int, list[Division]]]:
    """Agencies syn-(start+1) … syn-(start+n), spread over the provinces, with their divisions."""
    kinds, weights = zip(*KIND_WEIGHTS)
    agencies = []
    for i in range(start + 1, start + n + 1):
        kind = rng.choices(kinds, weights)[0]
        agencies.append(
            Agency(
                code=f"syn-{i:05d}",
                kind=kind,
                name=f"{AgencyKind(kind).label}สังเคราะห์ที่ {i:05d} {SYNTHETIC_MARK}",
                district=f"สังเคราะห์ {rng.randint(1, 10)}",
                province=PROVINCES[(i - 1) % len(PROVINCES)],
                is_synthetic=True,
            )
        )
    Agency.objects.bulk_create(agencies)
    divisions = Division.objects.bulk_create(
        [Division(agency=a, name=name, order=o) for a in agencies for o, name in enumerate(DIVISIONS)]
    )
    by_agency: dict[int, list[Division]] = {}
    for d in divisions:
        by_agency.setdefault(d.agency_id, []).append(d)
    return agencies, by_agency


def synthetic_users_create(*, agencies: list[Agency], divisions: dict[int, list[Division]], password: str) -> int:
    """A coordinator and a staff member (of the first division) per agency; `password` is a hash."""
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
            Membership.divisions.through(membership_id=m.id, division_id=divisions[m.agency_id][0].id)
            for m in memberships
            if m.role == Role.STAFF
        ],
        batch_size=5000,
    )
    return len(users)
