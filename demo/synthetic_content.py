"""What each synthetic agency holds, per year: a plan, measures (some with activities) and their
progress, scores that rise about a point a year, and published reports. Bulk writes only.

Question scores are not generated. The agencies themselves come from demo/synthetic.py.
"""

from decimal import Decimal

from agencies.models import Agency, Division
from assessments.models import AssessmentResult, IndicatorScore, ToolScore
from assessments.services import rating_compute
from measures.models import Activity, Measure, Plan, Progress, Round, Status
from reports.models import Kind, PublishedVersion, Report, State

from .synthetic import PDF, PLACEHOLDER_PDF, Framework

WORDS = (
    "จัดทำ เผยแพร่ ข้อมูลข่าวสาร ประชาชน ตรวจสอบ โปร่งใส จัดซื้อจัดจ้าง งบประมาณ ประชาสัมพันธ์ คู่มือ "
    "การให้บริการ ลดขั้นตอน ผู้บริหาร เจ้าหน้าที่ อบรม คุณธรรม จริยธรรม ทรัพย์สินของราชการ ร้องเรียน "
    "ประจำปี แผนปฏิบัติการ ติดตาม ประเมินผล เว็บไซต์ สำนักปลัด กองคลัง ชุมชน"
).split()


def _text(rng, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def _scores(rng, fw: Framework, level: Decimal) -> tuple[dict, dict, Decimal, str]:
    """Indicator scores around `level`, tool means, the weighted overall and the band it earns."""
    indicators = {}
    for ind in fw.indicators:
        s = float(level) + rng.gauss(0, 6)
        indicators[ind] = Decimal(str(round(min(100.0, max(30.0, s)), 2)))
    tools = {}
    for t in fw.tools:
        vals = [s for ind, s in indicators.items() if ind.tool_id == t.id]
        if vals:
            tools[t] = (sum(vals) / len(vals)).quantize(Decimal("0.01"))
    weights_sum = sum((t.weight or 0) for t in tools) or 1
    overall = (sum(s * (t.weight or 0) for t, s in tools.items()) / weights_sum).quantize(Decimal("0.01"))
    level_awarded = rating_compute(bands=fw.bands, overall=overall, tool_scores=tools.values()) or ""
    return indicators, tools, overall, level_awarded


def synthetic_content_create(
    *,
    rng,
    agencies: list[Agency],
    divisions: dict[int, list[Division]],
    frameworks: dict[int, Framework],
    current: int,
    mean_measures: int,
    pdf_sha: str,
) -> dict[str, int]:
    """Plans, measures, activities, progress, scores and published reports of `agencies`, every year."""
    plans, measures, measure_meta = [], [], []
    results, result_meta = [], []
    reports = []
    for a in agencies:
        base = Decimal(str(round(min(99.0, max(55.0, rng.gauss(86, 7))), 2)))
        for fw in frameworks.values():
            fy = fw.year
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
                issue = rng.choice(fw.issues) if fw.issues else None
                tool = rng.choice(fw.tools) if fw.tools else None
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
            ind_scores, tool_scores, overall, level = _scores(rng, fw, base + trend)
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
    counts = {"measures": len(measures)}
    counts.update(_activities_and_progress(rng, measures, measure_meta, divisions, current))
    counts.update(_scores_create(results, result_meta))
    counts.update(_reports_publish(reports, pdf_sha))
    return counts


def _activities_and_progress(rng, measures, measure_meta, divisions, current) -> dict[str, int]:
    """Divisions of measures and activities; progress per item and round (one round this year)."""
    mdiv, activities, act_parent = [], [], []
    for m, (agency_id, be_year, with_activity) in zip(measures, measure_meta):
        divs = divisions[agency_id]
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
    return {"activities": len(activities), "progress": len(progress)}


def _scores_create(results, result_meta) -> dict[str, int]:
    AssessmentResult.objects.bulk_create(results, batch_size=5000)
    tool_rows, ind_rows = [], []
    for r, (ind_scores, tool_scores) in zip(results, result_meta):
        tool_rows += [ToolScore(result=r, tool=t, score=s) for t, s in tool_scores.items()]
        ind_rows += [IndicatorScore(result=r, indicator=i, score=s) for i, s in ind_scores.items()]
    ToolScore.objects.bulk_create(tool_rows, batch_size=5000)
    IndicatorScore.objects.bulk_create(ind_rows, batch_size=5000)
    return {"results": len(results), "indicator scores": len(ind_rows)}


def _reports_publish(reports, pdf_sha: str) -> dict[str, int]:
    """Each report published once, its version the placeholder PDF."""
    Report.objects.bulk_create(reports, batch_size=5000)
    PublishedVersion.objects.bulk_create(
        [
            PublishedVersion(
                report=r, version=1, pdf=PLACEHOLDER_PDF, sha256=pdf_sha, size=len(PDF), data_hash="synthetic"
            )
            for r in reports
        ],
        batch_size=5000,
    )
    return {"published reports": len(reports)}
