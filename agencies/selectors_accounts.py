"""Whose hands an account is in: whether its password was set by someone else, and whether its
holder may approve reports (the rule that keeps a coordinator from approving their own report)."""

from .models import AccountEvent, Membership, Role

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
            "บทบาทผู้บริหารของบัญชีนี้กำหนดโดยผู้ประสานงาน ITA ของหน่วยงาน จึงต้องให้ผู้ดูแลระบบยืนยันก่อน "
            "จึงจะอนุมัติรายงานได้ (เพื่อไม่ให้ผู้เสนอรายงานอนุมัติรายงานของตนเองผ่านบัญชีที่ตนสร้าง)"
        )
    if password_set_by_other(user=membership.user):
        return "รหัสผ่านปัจจุบันของบัญชีนี้ผู้อื่นเป็นผู้ตั้งให้ จึงยังอนุมัติรายงานไม่ได้ กรุณาเปลี่ยนรหัสผ่านเป็นของคุณเองที่หน้า “บัญชีของฉัน” ก่อน"
    return ""
