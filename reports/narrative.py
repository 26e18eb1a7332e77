"""The analysis report's paragraphs: which places hold one, and the sentences generated from the numbers.

A generated sentence states only what the tables print (an indicator's or question's code, name and
score, the thresholds the headings name): it never adds a judgement the agency did not write.
The coordinator edits any paragraph on the authoring page; a saved paragraph replaces the generated
one, and deleting it ("restore generated text") brings the generated one back.
"""

import re

from django.utils.html import escape

from ita_portal import thai

# Places in the analysis that hold the agency's own text, with what the authoring page calls them.
# Indicator and tool places are per indicator ("indicator:7") and per tool of section 5 ("tool:EIT").
FIXED_ANCHORS = {
    "result": "ข้อ 2 ผลการประเมินโดยรวม (ข้อความก่อนตารางระดับผลการประเมิน)",
    "summary": "ข้อ 2 ข้อสรุปใต้ตารางคะแนนรายตัวชี้วัด",
    "analysis_intro": "ข้อ 3 ข้อความนำการวิเคราะห์จุดแข็ง–จุดอ่อน",
    "urgent": "ข้อ 4 ประเด็นที่ต้องแก้ไขโดยเร่งด่วน",
    "assessor": "ข้อ 4 ข้อเสนอแนะของผู้ตรวจประเมิน",
    "improve_intro": "ข้อ 5 ข้อความนำประเด็นที่ต้องพัฒนา",
    "measures_intro": "ข้อความนำตารางมาตรการ",
}
ANCHOR_RE = re.compile("^(?:" + "|".join(FIXED_ANCHORS) + r"|indicator:\d{1,2}|tool:[A-Z]{2,5})$")
# Printed from the numbers when the agency saved no text there (the other places print nothing).
PRINTED_WHEN_UNSAVED = ("indicator:", "urgent")


def printed_when_unsaved(anchor: str) -> bool:
    return anchor.startswith(PRINTED_WHEN_UNSAVED)


def _score(value) -> str:
    return thai.score(value)


def indicator_sentence(row: dict) -> str:
    return f"<p>ตัวชี้วัดที่ {row['number']} {escape(row['name'])} ได้คะแนน {_score(row['score'])}</p>"


def urgent_sentence(lowest: dict) -> str:
    return (
        f"<p>ตัวชี้วัดที่ได้คะแนนต่ำที่สุด คือ ตัวชี้วัดที่ {lowest['number']} {escape(lowest['name'])} "
        f"({lowest['tool']}) ได้คะแนน {_score(lowest['score'])} คะแนน</p>"
    )


def tool_sentence(group: dict, improve) -> str:
    """Section 5's paragraph for one tool: its indicators and questions below the threshold, as tabled."""
    limit = f"{improve:.0f}" if improve is not None else ""
    parts = []
    if group["indicators"]:
        names = ", ".join(
            f"ตัวชี้วัดที่ {r['number']} {escape(r['name'])} ({_score(r['score'])} คะแนน)" for r in group["indicators"]
        )
        parts.append(f"ตัวชี้วัดที่ได้คะแนนต่ำกว่า {limit} คะแนน จำนวน {len(group['indicators'])} ตัวชี้วัด ได้แก่ {names}")
    if group["questions"]:
        codes = ", ".join(f"{escape(q['code'])} ({_score(q['score'])} คะแนน)" for q in group["questions"])
        parts.append(f"ข้อคำถามที่ได้คะแนนต่ำกว่า {limit} คะแนน จำนวน {len(group['questions'])} ข้อ ได้แก่ {codes}")
    return f"<p>แบบวัด {escape(group['code'])} มี" + " และ".join(parts) + "</p>" if parts else ""


def generated_texts(analysis: dict) -> dict[str, str]:
    """Anchor → the paragraph generated from the analysis numbers (only places that have one)."""
    if not analysis.get("has_result"):
        return {}
    out = {f"indicator:{r['number']}": indicator_sentence(r) for r in analysis["indicators"]}
    if analysis.get("lowest"):
        out["urgent"] = urgent_sentence(analysis["lowest"])
    for group in analysis["by_tool"]:
        out[f"tool:{group['code']}"] = tool_sentence(group, analysis.get("improve_threshold"))
    return out


def analysis_places(analysis: dict) -> list[dict]:
    """Every place of the analysis that holds text, in the report's order, for the authoring page."""
    places = [{"anchor": a, "label": FIXED_ANCHORS[a]} for a in ("result", "summary", "analysis_intro")]
    if analysis.get("has_result"):
        for heading, rows in (("จุดแข็ง", analysis["strengths"]), ("จุดอ่อน", analysis["weaknesses"])):
            places += [
                {
                    "anchor": f"indicator:{r['number']}",
                    "label": f"ข้อ 3 {heading}: ตัวชี้วัดที่ {r['number']} {r['name']} ({_score(r['score'])})",
                }
                for r in rows
            ]
    places += [{"anchor": a, "label": FIXED_ANCHORS[a]} for a in ("urgent", "assessor", "improve_intro")]
    if analysis.get("has_result"):
        places += [
            {"anchor": f"tool:{g['code']}", "label": f"ข้อ 5 แบบวัด {g['code']}: {g['name']}"}
            for g in analysis["by_tool"]
        ]
    places.append({"anchor": "measures_intro", "label": FIXED_ANCHORS["measures_intro"]})
    return places
