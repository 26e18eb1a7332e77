"""The national staff's forms for a year's OIT list (oit/views_items.py)."""

from django import forms

from assessments.models import FiscalYear
from reports.models import Kind

from .models import OitItem, Period
from .services_items import RULE_OFFSETS, ItemData, source_year_for


def _rule_choices() -> list[tuple[str, str]]:
    when = {0: "ของปีเดียวกับหลักฐาน", -1: "ของปีก่อนหน้าหลักฐาน 1 ปี"}
    return [(f"{kind}:{offset}", f"{label} {when[offset]}") for kind, label in Kind.choices for offset in RULE_OFFSETS]


class OitItemForm(forms.Form):
    code = forms.CharField(label="รหัสข้อ (เช่น O26)", max_length=10)
    title = forms.CharField(label="ชื่อข้อ", max_length=300)
    criteria = forms.CharField(label="รายละเอียด/เกณฑ์", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    sub_indicator = forms.CharField(label="ตัวชี้วัดย่อย (เช่น 10.2 มาตรการภายใน)", max_length=200, required=False)
    period = forms.ChoiceField(label="ช่วงเวลาของหลักฐาน", choices=Period.choices)
    predecessor = forms.ModelChoiceField(
        label="ข้อที่ตรงกันของปีก่อน", queryset=OitItem.objects.none(), required=False, empty_label="ไม่มี (ข้อใหม่)"
    )
    rules = forms.MultipleChoiceField(
        label="รายงานที่เผยแพร่ในระบบซึ่งเชื่อมเป็นหลักฐานของข้อนี้โดยอัตโนมัติ",
        choices=_rule_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, year: FiscalYear, item: OitItem | None = None, **kwargs):
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "code": item.code,
                "title": item.title,
                "criteria": item.criteria,
                "sub_indicator": item.sub_indicator,
                "period": item.period,
                "predecessor": item.predecessor_id,
                "rules": [f"{k}:{y - item.evidence_be_year}" for k, y in item.auto_rules()],
            }
        super().__init__(*args, **kwargs)
        earlier = source_year_for(target=year)
        choices = OitItem.objects.none()
        if earlier is not None:
            choices = OitItem.objects.filter(year=earlier).select_related("year").order_by("order", "id")
        if item is not None and item.predecessor_id:  # keep a predecessor of an older year
            choices = choices | OitItem.objects.filter(pk=item.predecessor_id)
        self.fields["predecessor"].queryset = choices
        self.fields["predecessor"].label_from_instance = lambda i: f"{i.code} {i.title} (ปี {i.year.be_year})"

    def item_data(self) -> ItemData:
        d = self.cleaned_data
        rules = []
        for value in d["rules"]:
            kind, offset = value.split(":")
            rules.append({"kind": kind, "year_offset": int(offset)})
        return ItemData(
            code=d["code"],
            title=d["title"],
            criteria=d["criteria"],
            sub_indicator=d["sub_indicator"],
            period=d["period"],
            predecessor=d["predecessor"],
            auto_kinds=rules,
        )


class ItemsCopyForm(forms.Form):
    source = forms.TypedChoiceField(label="เริ่มจากรายการข้อ OIT ของปี", coerce=int)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(y, f"ปีงบประมาณ {y}") for y in years]
