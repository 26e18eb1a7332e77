"""Reads of the report authoring page: the sections as printed, the analysis paragraphs, the wording."""

from measures.models import Round

from .layout import LABELS, merged_labels, merged_layout
from .markup import editable_text
from .models import Kind, Report, SectionKind
from .narrative import analysis_places, generated_texts, printed_when_unsaved
from .sections import REPEATABLE, addable_kinds, heading_label
from .sections import sequence as section_sequence
from .selectors import analysis_context, report_context

LABEL_NAMES = {
    "title_agency": "บรรทัดชื่อหน่วยงานใต้ชื่อรายงาน",
    "measures_heading": "หัวข้อตารางมาตรการ (รายงานผล)",
    "analysis_measures_heading": "หัวข้อตารางมาตรการ (รายงานการวิเคราะห์)",
    "score_heading": "หัวข้อตารางเปรียบเทียบคะแนน",
    "chart_heading": "หัวข้อกราฟคะแนนรายปี",
    "recommendations_heading": "หัวข้อข้อเสนอแนะ",
    "photos_heading": "หัวข้อภาพประกอบ",
    "photos_beside_heading": "หัวข้อเหนือภาพประกอบของแต่ละมาตรการ (ภาพอยู่ถัดจากมาตรการ)",
    "issue_group": "หัวข้อกลุ่มตามประเด็น ({number} = เลขประเด็น, {title} = ชื่อประเด็น)",
    "tool_group": "หัวข้อกลุ่มตามแบบวัด ({code} = IIT/EIT/OIT, {name} = ชื่อแบบวัด, {focus} = หัวข้อของมาตรการแรก)",
    "score_caption": "ชื่อตารางคะแนน (ใต้หัวข้อ)",
    "score_col_indicator": "ตารางคะแนน: หัวคอลัมน์ตัวชี้วัด",
    "score_col_year": "ตารางคะแนน: หัวคอลัมน์ปี ({be_year} = ปี พ.ศ.)",
    "score_col_change": "ตารางคะแนน: หัวคอลัมน์ผลต่าง",
    "other_group": "ชื่อกลุ่มของมาตรการที่ไม่มีกลุ่ม",
    "continued": "คำต่อท้ายเมื่อตารางต่อหน้าใหม่",
}


def _default_labels(report: Report) -> dict:
    measures_year = report.year.be_year + (1 if report.kind == Kind.ANALYSIS else 0)
    rnd = Round.SIX_MONTH if report.kind == Kind.SIX_MONTH else Round.ANNUAL
    return merged_labels({}, round_label=Round(rnd).label, measures_year=measures_year)


def _items(report: Report) -> list[dict]:
    rows = list(report.sections.filter(anchor="").order_by("order", "id")) if report.pk else []
    saved = [{"kind": r.kind, "title": r.title, "html": r.body, "anchor": "", "row": r} for r in rows]
    printed, _ = section_sequence(report.kind, saved)
    defaults = _default_labels(report)
    items = []
    for position, s in enumerate(printed, start=1):
        row, kind = s.get("row"), s["kind"]
        label = heading_label(report.kind, kind)
        item = {
            "id": row.pk if row else "",
            "position": position,
            "kind": kind,
            "kind_label": SectionKind(kind).label if kind in SectionKind.values else kind,
            "version": row.version if row else 1,
            "own_text": kind in REPEATABLE,
            "title": s["title"],
            "placeholder": "",
            "has_title": True,
            "body": editable_text(s["html"]),
            "first": position == 1,
            "last": position == len(printed),
        }
        if label:
            item["title"], item["placeholder"] = (report.labels or {}).get(label, ""), defaults[label]
            item["hidden"] = (report.labels or {}).get(label) == ""
        elif kind in (SectionKind.COVER, SectionKind.TITLE):
            item["title"], item["placeholder"] = report.title, "ชื่อรายงานตามค่าเริ่มต้น"
        elif kind in (SectionKind.TOC, SectionKind.FOREWORD):
            item["placeholder"] = SectionKind(kind).label
        elif not item["own_text"]:
            item["has_title"] = False
        items.append(item)
    return items


def _paragraphs(report: Report) -> list[dict]:
    analysis = analysis_context(
        agency=report.agency,
        year=report.year,
        strength=report.strength_threshold,
        improve=report.improve_threshold,
    )
    generated = generated_texts(analysis)
    saved = {s.anchor: s for s in report.sections.exclude(anchor="")} if report.pk else {}
    out = []
    for place in analysis_places(analysis):
        anchor = place["anchor"]
        row = saved.get(anchor)
        out.append(
            {
                **place,
                "text": editable_text(row.body if row else generated.get(anchor, "")),
                "saved": row is not None,
                "version": row.version if row else 0,
                "generated": bool(generated.get(anchor)),
                "generated_text": editable_text(generated.get(anchor, "")) if row else "",
                "printed_when_unsaved": printed_when_unsaved(anchor) and bool(generated.get(anchor)),
            }
        )
    return out


def _labels(report: Report) -> list[dict]:
    defaults = _default_labels(report)
    saved = report.labels or {}
    skip = "measures_heading" if report.kind == Kind.ANALYSIS else "analysis_measures_heading"
    return [
        {
            "key": key,
            "name": LABEL_NAMES.get(key) or f"หัวคอลัมน์: {LABELS[key]}",
            "default": defaults[key],
            "value": saved.get(key) or "",
            "hidden": saved.get(key) == "",
        }
        for key in LABELS
        if key != skip
    ]


LAYOUT_NAMES = {
    "title_block": "พิมพ์ชื่อรายงานและชื่อหน่วยงานเหนือตารางแรก",
    "period_line": "พิมพ์บรรทัดรอบการรายงาน (เช่น รอบ 12 เดือน และช่วงวันที่) ใต้ชื่อรายงาน",
    "score_summary": "พิมพ์ประโยคสรุปคะแนนใต้ตารางเปรียบเทียบคะแนน",
    "regroup": "รวมมาตรการเข้ากลุ่ม (ไม่เลือก: คงลำดับของหน่วยงาน พิมพ์ชื่อกลุ่มเมื่อกลุ่มเปลี่ยน)",
    "dense_tables": "ตารางใช้ตัวอักษร 14 พอยต์ (ปกติ 16 พอยต์)",
    "count_cover": "นับหน้าปกเป็นหน้า 1",
    "number_rows": "ใส่เลขลำดับให้มาตรการที่ไม่มีเลขของหน่วยงาน (ไม่เลือก: ช่องลำดับว่าง)",
    "number_in_measure": 'พิมพ์เลขมาตรการของหน่วยงานหน้าชื่อมาตรการ (เช่น "1. จัดทำ…")',
    "responsible_dashes": 'ผู้รับผิดชอบหลายหน่วยพิมพ์เป็นรายการ "- …" ทีละบรรทัด',
}


def _layout(report: Report) -> dict:
    layout = merged_layout(report.layout)
    saved = layout["column_widths"] if isinstance(layout["column_widths"], dict) else {}
    columns = [
        {**c, "value": f"{saved[c['key']]:g}" if isinstance(saved.get(c["key"]), int | float) else ""}
        for c in report_context(report=report)["report"]["columns"]
    ]
    return {
        "switches": [{"key": k, "name": name, "on": bool(layout[k])} for k, name in LAYOUT_NAMES.items()],
        "photos": layout["photos"],
        "columns": columns,
    }


def report_authoring(*, report: Report) -> dict:
    """Everything the authoring page shows of a report (saved or not yet)."""
    return {
        "items": _items(report),
        "addable": addable_kinds(report.kind),
        "paragraphs": _paragraphs(report) if report.kind == Kind.ANALYSIS else [],
        "labels": _labels(report),
        "layout": _layout(report),
    }
