"""Whose hands an account is in: whether its password was set by someone else, and whether its
holder may approve reports (the rule that keeps a coordinator from approving their own report)."""

from .access import scope_covers
from .models import AccountEvent, Agency, Membership, OversightScope, Role

Action = AccountEvent.Action
# The events that set a password; the newest one says who knows it.
PASSWORD_EVENTS = (
    Action.ACCOUNT_CREATED,
    Action.PASSWORD_SET,
    Action.PASSWORD_CHANGED,
    Action.PASSWORD_RESET,
    Action.ACCOUNT_REGISTERED,
)


def password_set_by_other(*, user) -> bool:
    """True when the user's current password was set by someone else (a coordinator's temporary
    password or a new account with one): the user must set their own before anything else."""
    last = (
        AccountEvent.objects.filter(user=user, action__in=PASSWORD_EVENTS)
        .order_by("-created_at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    return last is not None and last != user.pk


def approval_refusal(*, membership: Membership | None) -> str:
    """Why this member may not approve reports ('' when they may)."""
    if membership is None or membership.role != Role.EXECUTIVE:
        return "เฉพาะผู้บริหารของหน่วยงานเท่านั้นที่อนุมัติรายงานได้"
    if membership.needs_confirmation:
        return (
            "บทบาทผู้บริหารของบัญชีนี้กำหนดโดยผู้ประสานงาน ITA ของหน่วยงาน จึงต้องให้หน่วยงานกำกับดูแล "
            "(เช่น สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด) หรือผู้ดูแลระบบยืนยันก่อน "
            "จึงจะอนุมัติรายงานได้ (เพื่อไม่ให้ผู้เสนอรายงานอนุมัติรายงานของตนเองผ่านบัญชีที่ตนสร้าง)"
        )
    if password_set_by_other(user=membership.user):
        return "รหัสผ่านปัจจุบันของบัญชีนี้ผู้อื่นเป็นผู้ตั้งให้ จึงยังอนุมัติรายงานไม่ได้ กรุณาเปลี่ยนรหัสผ่านเป็นของคุณเองที่หน้า “บัญชีของฉัน” ก่อน"
    return ""


def confirmer_refusal(*, actor, agency: Agency) -> tuple[str, str]:
    """Who may confirm (or decline) an executive of `agency`: a Django administrator, or an
    oversight office whose scope covers the agency and who is not a member of it (a member could
    confirm their own puppet). (refusal, how the confirmer is named in the audit trail)."""
    if actor.is_staff or actor.is_superuser:
        return "", "ผู้ดูแลระบบ"
    if Membership.objects.filter(user=actor, agency=agency).exists():
        return "สมาชิกของหน่วยงานยืนยันบทบาทผู้บริหารของหน่วยงานตนเองไม่ได้", ""
    office = next((s.title for s in OversightScope.objects.filter(user=actor) if scope_covers(s, agency)), None)
    if office is None:
        return "เฉพาะผู้ดูแลระบบหรือหน่วยงานกำกับดูแลที่ครอบคลุมหน่วยงานนี้เท่านั้นที่ยืนยันบทบาทผู้บริหารได้", ""
    return "", f"หน่วยงานกำกับดูแล: {office}"
