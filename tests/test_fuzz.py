"""Hostile input on every form and on the workbook import (hypothesis).

Random Unicode with stacked Thai marks, very long strings, control characters, RTL and other
invisible marks, template and SQL look-alikes, odd digits. Two properties everywhere:

- never a server error (the test client re-raises any exception a view lets escape);
- never a partial write: a refused submission leaves every table as it was (the count of every
  history table, users and published versions), an accepted one stores what was typed.

Each example runs in a savepoint that is rolled back, so examples do not see each other's writes.
The examples are derandomized (the same on every run, in CI too); HYPOTHESIS_PROFILE=deep runs
many more, randomly.
"""

import io
import os
import random
import struct
import zipfile

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agencies.models import Division, Membership
from measures.models import Activity, Measure, Plan, Progress
from reports.models import PublishedVersion, Report

KSK = "khao-samo-khon"

settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# ------------------------------------------------------------------------------------------------
# Strategies

CONTROL = [chr(c) for c in range(32)] + ["\x7f", "\x85"]
INVISIBLE = [
    "\u200e",  # LRM
    "\u200f",  # RLM
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",  # RLO: text drawn backwards
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u061c",
    "\ufeff",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2028",
    "\u2029",
    "\u00ad",
]
THAI = "".join(chr(c) for c in range(0x0E01, 0x0E5C))
STACKED = [
    "ก่่่่่่่่่่",
    "ปั๊ก์์์์์",
    "ฐูุุุุ้้้้",
    "\u0e4d\u0e48\u0e34" * 20,
    "\u0e31" * 50,
    "ำำำำ",
    "เเเเก",
]
LOOKALIKES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request }}",
    "{% debug %}",
    "%(name)s %s %n",
    "' OR 1=1 --",
    "'; DROP TABLE measures_measure; --",
    "../../../../etc/passwd",
    "javascript:alert(1)",
    "๓๑/๐๓/๒๕๖๗",
    "٣١/٠٣/٢٥٦٧",
    "３１/０３/２５６７",
    "31/02/2567",
    "00/00/0000",
    "99/99/99999999999999999999",
    "1e999",
    "NaN",
    "-Infinity",
    "-0",
    "๑๐๐.๕๐",
    "１００",
    "1_000",
    "9" * 400,
    "𝔸𝔹ℂ",
    "👩‍👩‍👧‍👦",
    "\u0301" * 40,
    "Ａ",
    "İı",
    "ß",
]
LONG = ["", " ", "\t\n", "ก" * 501, "x" * 5001, "ก่" * 40_000]

piece = st.one_of(
    st.sampled_from(CONTROL + INVISIBLE + STACKED + LOOKALIKES),
    st.text(alphabet=THAI, max_size=30),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
)
nasty = st.one_of(
    st.lists(piece, max_size=10).map("".join),
    st.sampled_from(LONG),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
)
number = st.one_of(
    nasty,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
)
be_date = st.one_of(
    nasty,
    st.builds(
        lambda d, m, y: f"{d}/{m}/{y}",
        st.integers(-5, 40),
        st.integers(-5, 15),
        st.integers(-10, 10**12),
    ),
)


def choice(values):
    """A valid choice most of the time, anything otherwise."""
    return st.one_of(st.sampled_from(list(values)), st.sampled_from(list(values)), nasty)


def often(valid, strategy):
    """A valid value about half of the time, so that accepted submissions are checked too."""
    return st.one_of(st.just(valid), strategy)


# ------------------------------------------------------------------------------------------------
# Helpers


def snapshot() -> tuple:
    """Row counts of every history table (any write to a tracked model adds a row), users and
    published versions: a refused request must leave all of them as they were."""
    models = [m for m in apps.get_models() if m.__name__.startswith("Historical")]
    models += [get_user_model(), PublishedVersion]
    return tuple(m._default_manager.count() for m in models)


class rolled_back:
    """Run one example in a savepoint that is always rolled back."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()

    def __exit__(self, *exc):
        transaction.set_rollback(True)
        self.atomic.__exit__(*exc)
        return False


def client(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def post(c: Client, url: str, data: dict):
    before = snapshot()
    r = c.post(url, data)
    assert r.status_code in (200, 302), (url, r.status_code)
    event("accepted" if r.status_code == 302 else "refused")
    if r.status_code == 200:  # refused: the form again, with its errors
        assert snapshot() == before, f"a refused POST to {url} wrote something"
    return r, before


def same(stored: str, typed: str) -> bool:
    """What a form stores for what was typed: Django's CharField strips surrounding whitespace."""
    return stored == typed.strip()


@pytest.fixture
def measure(db):
    return Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()


# ------------------------------------------------------------------------------------------------
# Forms


@given(username=nasty, password=nasty)
def test_login_form(db, username, password):
    with rolled_back():
        r, _ = post(Client(), "/login/", {"username": username, "password": password})
        assert r.status_code == 200


@given(name=nasty)
def test_division_create_and_rename(db, name):
    c = client("ksk-coord")
    with rolled_back():
        r, _ = post(c, f"/a/{KSK}/divisions/", {"name": name})
        if r.status_code == 302:
            assert Division.objects.filter(agency__code=KSK, name=name.strip()).exists()
    division = Division.objects.get(agency__code=KSK, name="กองช่าง")
    with rolled_back():
        before = snapshot()
        r = c.post(f"/a/{KSK}/divisions/{division.pk}/", {"action": "rename", "name": name})
        assert r.status_code == 302  # refusals come back as a message on the list
        stored = Division.objects.get(pk=division.pk).name
        assert same(stored, name) or (stored == "กองช่าง" and snapshot() == before)


OIT_CODES = ["O1", "O26", "O43"]


@given(
    source=choice(["url", "file", "report"]),
    title=nasty,
    url=often("https://example.org/oit", nasty),
    item_code=choice(OIT_CODES),
)
def test_oit_evidence(db, source, title, url, item_code):
    from oit.models import OitEvidence, OitItem

    # Only real codes are looked up here (PostgreSQL refuses NUL in a query); anything else is posted as is.
    item = OitItem.objects.filter(year__be_year=2566, code=item_code).first() if item_code in OIT_CODES else None
    c = client("ksk-coord")
    with rolled_back():
        data = {"item": item.pk if item else item_code, "source": source, "title": title, "url": url}
        r, _ = post(c, f"/a/{KSK}/oit/2566/", data)
        if r.status_code == 302:
            ev = OitEvidence.objects.get(agency__code=KSK)
            assert same(ev.title, title) and ev.url.startswith(("http://", "https://"))


@given(
    username=st.one_of(st.from_regex(r"[a-z][a-z0-9._-]{2,20}", fullmatch=True), nasty),
    first=nasty,
    last=nasty,
    password=often("a-Long-pass-2567", nasty),
    role=choice(["staff", "viewer", "executive"]),
    position=nasty,
)
def test_member_create(db, username, first, last, password, role, position):
    c = client("ksk-coord")
    division = Division.objects.get(agency__code=KSK, name="กองคลัง")
    data = {
        "username": username,
        "first_name": first,
        "last_name": last,
        "password": password,
        "role": role,
        "position": position,
        "divisions": [division.pk],
    }
    with rolled_back():
        r, _ = post(c, f"/a/{KSK}/members/new/", data)
        if r.status_code == 302:
            m = Membership.objects.get(agency__code=KSK, user__username=f"{KSK}.{username.strip()}")
            assert m.role == role and same(m.position, position)


@given(role=choice(["staff", "viewer", "executive", "coordinator"]), position=nasty)
def test_member_edit(db, role, position):
    c = client("ksk-coord")
    m = Membership.objects.get(user__username="ksk-viewer")
    with rolled_back():
        r, _ = post(c, f"/a/{KSK}/members/{m.pk}/", {"role": role, "position": position})
        if r.status_code == 302:
            m.refresh_from_db()
            assert m.role == role and same(m.position, position)


@given(overall=number, level=nasty, tool=number, indicator=number)
def test_scores(db, overall, level, tool, indicator):
    c = client("ksk-coord")
    data = {"overall": overall, "level_awarded": level, "tool_IIT": tool, "ind_1": indicator}
    with rolled_back():
        post(c, f"/a/{KSK}/scores/2568/edit/", data)


measure_fields = st.fixed_dictionaries(
    {
        "title": nasty,
        # The other fields are blank half of the time, so that whole submissions get accepted too.
        **{
            name: often("", nasty)
            for name in ("number", "focus", "steps", "period", "responsible_note", "monitoring", "issue", "tool")
        },
        "budget": often("", number),
    }
)


@given(fields=measure_fields)
def test_measure_create_and_edit(db, measure, fields):
    c = client("ksk-coord")
    with rolled_back():
        r, _ = post(c, f"/a/{KSK}/measures/new/", {**fields, "year": "2567"})
        if r.status_code == 302:
            assert Measure.objects.filter(agency__code=KSK, title=fields["title"].strip()).exists()
    with rolled_back():
        r, _ = post(c, f"/a/{KSK}/measures/{measure.pk}/edit/", fields)
        if r.status_code == 302:
            measure.refresh_from_db()
            for name in ("number", "focus", "title", "steps", "period", "responsible_note", "monitoring"):
                assert same(getattr(measure, name), fields[name]), name


@given(title=nasty, steps=nasty, period=nasty)
def test_activity_create(db, measure, title, steps, period):
    c = client("ksk-coord")
    with rolled_back():
        r, _ = post(
            c, f"/a/{KSK}/measures/{measure.pk}/activities/new/", {"title": title, "steps": steps, "period": period}
        )
        if r.status_code == 302:
            a = Activity.objects.filter(measure=measure).order_by("-id").first()
            assert same(a.title, title) and same(a.steps, steps) and same(a.period, period)


@given(intro=nasty, recommendations=nasty, name=nasty, position=nasty)
def test_plan(db, intro, recommendations, name, position):
    c = client("ksk-coord")
    data = {
        "intro": intro,
        "recommendations": recommendations,
        "signatory_name": name,
        "signatory_position": position,
        "year": "2567",
    }
    with rolled_back():
        r, _ = post(c, f"/a/{KSK}/measures/plan/", data)
        if r.status_code == 302:
            plan = Plan.objects.get(agency__code=KSK, year__be_year=2567)
            assert same(plan.intro, intro) and same(plan.signatory_name, name)


@given(from_year=number, year=number)
def test_copy_year(db, from_year, year):
    c = client("ksk-coord")
    with rolled_back():
        before = snapshot()
        r = c.post(f"/a/{KSK}/measures/copy-year/?year=2568", {"from_year": from_year, "year": year})
        assert r.status_code in (200, 302, 404)
        if r.status_code != 302:
            assert snapshot() == before


progress_fields = st.fixed_dictionaries(
    {
        "status": choice(["not_started", "in_progress", "done", "unable"]),
        "unable_reason": choice(["", "no_budget", "policy", "staff", "other"]),
        "unable_note": nasty,
        "output": nasty,
        "outcome": nasty,
        "completed_on": often("31/03/2567", be_date),
        "budget_spent": often("", number),
        "version": often("", number),
        "photo-0-caption": nasty,
        "link-0-url": st.one_of(nasty, st.builds(lambda t: f"https://example.go.th/{t}", nasty)),
        "link-0-label": nasty,
        "delete_photo": often("", nasty),
        "delete_link": often("", nasty),
    }
)


@given(fields=progress_fields)
def test_progress(db, measure, fields):
    c = client("ksk-staff1")
    data = {**fields, "photo-TOTAL_FORMS": "1", "photo-INITIAL_FORMS": "0"}
    data |= {"link-TOTAL_FORMS": "1", "link-INITIAL_FORMS": "0"}
    with rolled_back():
        r, _ = post(c, f"/a/{KSK}/measures/{measure.pk}/progress/six_month/", data)
        if r.status_code == 302:
            p = Progress.objects.get(measure=measure, activity=None, round="six_month")
            assert same(p.output, fields["output"]) and same(p.outcome, fields["outcome"])
            assert p.status == fields["status"]


@given(
    title=nasty,
    grouping=choice(["issue", "tool", "tool_indicator", "none"]),
    columns=st.lists(choice(["number", "measure", "steps", "output", "outcome"]), min_size=1, max_size=6),
    name=nasty,
    signed_on=often("", be_date),
    strength=often("80", number),
    improve=often("85", number),
)
def test_report_layout(db, title, grouping, columns, name, signed_on, strength, improve):
    c = client("ksk-coord")
    data = {
        "title": title,
        "grouping": grouping,
        "columns": columns,
        "signatory_name": name,
        "signed_on": signed_on,
        "strength_threshold": strength,
        "improve_threshold": improve,
    }
    with rolled_back():
        r, _ = post(c, f"/a/{KSK}/reports/2567/annual/", data)
        if r.status_code == 302:
            report = Report.objects.get(agency__code=KSK, year__be_year=2567, kind="annual")
            assert same(report.title, title) and same(report.signatory_name, name)


@given(year=nasty, round=nasty, kind=nasty, page=nasty, typ=nasty, province=nasty)
def test_query_strings(db, year, round, kind, page, typ, province):
    """The pages' GET filters (year, round, page, type, province …): a page or a 404, never a 500."""
    from urllib.parse import urlencode

    coord, oversight = client("ksk-coord"), client("lopburi-office")
    q = urlencode({"year": year, "round": round, "kind": kind, "page": page, "type": typ, "province": province})
    for c, url in [
        (coord, f"/a/{KSK}/"),
        (coord, f"/a/{KSK}/my-work/"),
        (coord, f"/a/{KSK}/measures/"),
        (coord, f"/a/{KSK}/audit/"),
        (coord, f"/a/{KSK}/workbook/"),
        (oversight, "/oversight/"),
        (oversight, "/oversight/ranking/"),
        (oversight, "/oversight/download/ranking.csv"),
        (oversight, "/oversight/download/areas.xlsx"),
    ]:
        assert c.get(f"{url}?{q}").status_code in (200, 404), url


# ------------------------------------------------------------------------------------------------
# The workbook import

cell_value = st.one_of(
    nasty,
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(),
    st.none(),
)


@pytest.fixture
def ksk_workbook(db) -> bytes:
    from agencies.models import Agency
    from assessments.models import FiscalYear
    from measures.workbook import workbook_export

    return workbook_export(agency=Agency.objects.get(code=KSK), year=FiscalYear.objects.get(be_year=2567))


def _import(data: bytes):
    from agencies.models import Agency
    from assessments.models import FiscalYear
    from measures.workbook import workbook_import

    return workbook_import(
        agency=Agency.objects.get(code=KSK),
        year=FiscalYear.objects.get(be_year=2567),
        file=io.BytesIO(data),
        dry_run=False,
        user=get_user_model().objects.get(username="ksk-coord"),
        filename="fuzz.xlsx",
    )


@given(
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 60), st.integers(1, 30), cell_value), max_size=12)
)
def test_workbook_import_cells(ksk_workbook, edits):
    """The exported workbook with hostile values written into random cells of its sheets."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = openpyxl.load_workbook(io.BytesIO(ksk_workbook))
    sheets = book.worksheets
    for sheet_no, row, col, value in edits:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)[:32_000]  # what an xlsx file can hold
        sheets[sheet_no % len(sheets)].cell(row=row, column=col, value=value)
    buf = io.BytesIO()
    book.save(buf)
    with rolled_back():
        before = snapshot()
        preview = _import(buf.getvalue())
        event("written" if preview.written else "refused")
        if not preview.written:
            assert snapshot() == before, "a refused import wrote something"


# A sheet whose deflate stream is damaged raises zlib.error inside the reader: refused in Thai.
def test_workbook_with_a_damaged_sheet_is_refused(ksk_workbook):
    data = bytearray(ksk_workbook)
    info = zipfile.ZipFile(io.BytesIO(ksk_workbook)).getinfo("xl/worksheets/sheet2.xml")
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 10
    data[at : at + 8] = b"\x00\xff" * 4
    with rolled_back():
        before = snapshot()
        preview = _import(bytes(data))
        assert not preview.written and preview.file_problems
        assert snapshot() == before


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@given(seed=st.integers(0, 2**32), flips=st.integers(1, 64), cut=st.integers(0, 100))
def test_workbook_import_damaged_files(ksk_workbook, seed, flips, cut):
    """Bytes flipped or the file cut short: refused whole, never an exception, nothing written."""
    data = bytearray(ksk_workbook)
    rng = random.Random(seed)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    data = bytes(data[: max(1, len(data) * (100 - cut) // 100)]) if cut else bytes(data)
    with rolled_back():
        before = snapshot()
        preview = _import(data)
        if not preview.written:
            assert snapshot() == before
