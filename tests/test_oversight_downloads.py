"""Oversight downloads: the pages' tables as .xlsx and .csv, for the user's scope and filters,
with text that no spreadsheet runs as a formula."""

import csv
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from agencies.models import Agency
from assessments.models import AssessmentResult, FiscalYear
from reports.models import Kind, PublishedVersion, Report, State

from .conftest import login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _no_summary_cache(settings):
    settings.OVERSIGHT_CACHE_SECONDS = 0


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 1
    return [[c.value for c in row] for row in book.worksheets[0].iter_rows()]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # a BOM: Excel reads the Thai as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def download(client, table: str, fmt: str, query: str = "year=2567"):
    r = client.get(f"/oversight/download/{table}.{fmt}?{query}")
    assert r["Content-Disposition"] == f'attachment; filename="ita-oversight-{table}-2567.{fmt}"'
    return xlsx_rows(r) if fmt == "xlsx" else csv_rows(r)


@pytest.fixture
def scored(db):
    """Every real agency scored for 2567 (the demo scores only some), one with a published report."""
    year = FiscalYear.objects.get(be_year=2567)
    for i, agency in enumerate(Agency.objects.filter(is_synthetic=False).order_by("code")):
        AssessmentResult.objects.update_or_create(
            agency=agency, year=year, defaults={"overall": Decimal("80.00") + i * 3, "level_awarded": "ผ่าน"}
        )
    ksk = Agency.objects.get(code="khao-samo-khon")
    report, _ = Report.objects.update_or_create(
        agency=ksk, year=year, kind=Kind.SIX_MONTH, defaults={"state": State.PUBLISHED}
    )
    PublishedVersion.objects.create(report=report, version=1, pdf="x.pdf", sha256="0" * 64, size=1, data_hash="-")
    return year


def test_the_ranking_download_holds_every_row_the_pages_show(scored, monkeypatch):
    from oversight import selectors

    monkeypatch.setattr(selectors, "RANKING_PAGE_SIZE", 2)  # the pages show 2 rows each; the file all
    c = login("national-office")
    shown = []
    page = 1
    while True:
        p = c.get(f"/oversight/ranking/?year=2567&page={page}").context["page"]
        shown += [(r.rank, r.agency.code, r.overall, r.six, r.annual) for r in p]
        if not p.has_next():
            break
        page += 1
    rows = download(c, "ranking", "xlsx")
    assert rows[0][:3] == ["อันดับ", "รหัสหน่วยงาน", "หน่วยงาน"] and "รายงานรอบ 6 เดือน" in rows[0]
    got = [(r[0], r[1], Decimal(str(r[6])).quantize(Decimal("0.01")), r[9], r[10]) for r in rows[1:]]
    published = {True: "เผยแพร่แล้ว", False: "ยังไม่เผยแพร่"}
    assert got == [
        (rank, code, overall, published[six], published[annual]) for rank, code, overall, six, annual in shown
    ]
    assert len(got) == Agency.objects.filter(is_synthetic=False).count() > 2
    as_csv = download(c, "ranking", "csv")
    assert as_csv[0] == rows[0]
    assert [(r[0], r[1], r[6]) for r in as_csv[1:]] == [(str(g[0]), g[1], f"{g[2]:.2f}") for g in got]


def test_the_summary_tables_match_the_summary_page(scored):
    c = login("national-office")
    s = c.get("/oversight/?year=2567").context["s"]
    distribution = download(c, "distribution", "csv")
    assert distribution[0] == ["ช่วงคะแนน", "จำนวน (แห่ง)", "ร้อยละ", "ต่ำกว่าคะแนนเป้าหมาย"]
    assert [(r[0], int(r[1])) for r in distribution[1:]] == [(b["label"], b["count"]) for b in s.distribution]
    assert [r[3] for r in distribution[1:]] == ["ใช่" if b["below"] else "ไม่ใช่" for b in s.distribution]
    indicators = download(c, "indicators", "xlsx")
    assert [(r[0], r[1], r[5]) for r in indicators[1:]] == [(i["number"], i["name"], i["below"]) for i in s.indicators]
    areas = download(c, "areas", "csv")
    assert areas[0][0] == "จังหวัด"
    assert [(r[0], int(r[1]), int(r[5])) for r in areas[1:]] == [
        (a["name"] or "ไม่ระบุ", a["agencies"], a["six"]) for a in s.areas
    ]
    levels = download(c, "levels", "xlsx")
    assert [(r[0], r[1]) for r in levels[1:]] == [(lv["label"], lv["count"]) for lv in s.levels]


def test_publications_list_every_agency_scored_or_not(db):
    year = FiscalYear.objects.get(be_year=2567)
    unscored = Agency.objects.filter(is_synthetic=False).exclude(results__year=year).first()
    ksk = Agency.objects.get(code="khao-samo-khon")
    report, _ = Report.objects.update_or_create(
        agency=ksk, year=year, kind=Kind.ANNUAL, defaults={"state": State.PUBLISHED}
    )
    PublishedVersion.objects.create(report=report, version=1, pdf="x.pdf", sha256="0" * 64, size=1, data_hash="-")
    rows = download(login("national-office"), "publications", "csv")
    assert rows[0] == ["รหัสหน่วยงาน", "หน่วยงาน", "ประเภท", "อำเภอ", "จังหวัด", "รายงานรอบ 6 เดือน", "รายงานประจำปี"]
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == set(Agency.objects.filter(is_synthetic=False).values_list("code", flat=True))
    assert unscored is None or unscored.code in by_code
    assert by_code["khao-samo-khon"][5:] == ["ยังไม่เผยแพร่", "เผยแพร่แล้ว"]
    assert all(r[5:] == ["ยังไม่เผยแพร่", "ยังไม่เผยแพร่"] for code, r in by_code.items() if code != "khao-samo-khon")


def test_downloads_keep_to_the_scope_and_filters(scored):
    lopburi = login("lopburi-office")
    inside = set(Agency.objects.filter(province="ลพบุรี", is_synthetic=False).values_list("code", flat=True))
    for table in ("ranking", "publications"):
        for query in ("year=2567", "year=2567&province=อุบลราชธานี", "year=2567&province=&kind=PAO"):
            for fmt in ("xlsx", "csv"):
                rows = download(lopburi, table, fmt, query)
                codes = {r[1] if table == "ranking" else r[0] for r in rows[1:]}
                assert codes <= inside, (table, query, fmt)
    assert {r[1] for r in download(lopburi, "ranking", "csv")[1:]} == inside
    national = login("national-office")
    pao = {r[1] for r in download(national, "ranking", "csv", "year=2567&kind=PAO")[1:]}
    assert pao == set(Agency.objects.filter(kind="PAO", is_synthetic=False).values_list("code", flat=True))
    areas = download(national, "areas", "csv", "year=2567&province=ลพบุรี")
    assert areas[0][0] == "อำเภอ" and [r[0] for r in areas[1:]] == ["ท่าวุ้ง"]
    coordinator = login("ksk-coord")
    assert coordinator.get("/oversight/download/ranking.xlsx?year=2567").status_code == 403
    assert national.get("/oversight/download/users.xlsx").status_code == 404
    assert national.get("/oversight/download/ranking.pdf").status_code == 404


def test_the_pages_link_their_downloads_with_the_filters(scored):
    c = login("national-office")
    page = c.get("/oversight/?year=2567&kind=SAO").content.decode()
    for table in ("distribution", "levels", "indicators", "areas", "publications"):
        assert f'href="/oversight/download/{table}.xlsx?year=2567&amp;kind=SAO"' in page, table
        assert f'href="/oversight/download/{table}.csv?year=2567&amp;kind=SAO"' in page, table
    assert "ดาวน์โหลด" in page
    ranking = c.get("/oversight/ranking/?year=2567&province=ลพบุรี").content.decode()
    assert 'href="/oversight/download/ranking.csv?year=2567&amp;province=%E0%B8%A5' in ranking


NASTY = {
    "name": '=HYPERLINK("http://evil.example/","ดูรายงาน")',
    "district": "+1+1",
    "level": "@SUM(A1:A9)",
    "other": "-2+3",
    "tab": "\t=1",
    "cr": "\r=2",
}


def test_text_that_looks_like_a_formula_stays_text(scored):
    ksk = Agency.objects.get(code="khao-samo-khon")
    Agency.objects.filter(pk=ksk.pk).update(name=NASTY["name"], district=NASTY["district"])
    AssessmentResult.objects.filter(agency=ksk, year=scored).update(level_awarded=NASTY["level"])
    others = list(Agency.objects.filter(is_synthetic=False).exclude(pk=ksk.pk).order_by("code")[:3])
    for agency, text in zip(others, (NASTY["other"], NASTY["tab"], NASTY["cr"])):
        Agency.objects.filter(pk=agency.pk).update(name=text)
    c = login("national-office")

    r = c.get("/oversight/download/ranking.xlsx?year=2567")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    cells = {c.value: c for row in book.worksheets[0].iter_rows() for c in row if isinstance(c.value, str)}
    for text in NASTY.values():
        if text not in cells:  # a bare carriage return may be read back as a line feed
            text = text.replace("\r", "\n")
        assert text in cells, repr(text)
        assert cells[text].data_type == "s", repr(text)  # text, as typed, never a formula
        assert cells[text].quotePrefix, repr(text)  # and kept text when edited in Excel
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)

    rows = download(c, "ranking", "csv")
    values = {v for row in rows[1:] for v in row}
    for text in NASTY.values():
        assert "'" + text in values, repr(text)
        assert text not in values, repr(text)
    # Numbers are not text: a negative score would stay a number (none here), dashes in labels stay.
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for v in row)
    distribution = download(c, "distribution", "csv")
    assert distribution[-1][0] == "ต่ำกว่า 50"
    # The same neutralisation in every table that carries names.
    for table in ("publications", "areas"):
        for row in download(c, table, "csv"):
            assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row), (table, row)
