"""Writes for divisions and memberships; each refuses with a Thai message and writes nothing."""

import re
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from ita_portal.edits import (
    StaleVersion,
    submission_claim,
    submission_done,
    submission_object,
    version_check,
    version_claim,
)

from .access import Access
from .models import AccountEvent, Agency, Division, Membership, Role


class ServiceError(Exception):
    pass


class ConflictError(ServiceError):
    """Someone saved the row after this user's form was opened: nothing is written over it."""


def _division_name(name: str) -> str:
    """The name as stored, or a Thai refusal (the rename comes straight from a POST)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("กรุณากรอกชื่อกอง/สำนัก")
    limit = Division._meta.get_field("name").max_length
    if len(name) > limit:
        raise ServiceError(f"ชื่อกอง/สำนักยาวเกิน {limit} ตัวอักษร")
    if "\x00" in name:
        raise ServiceError("ชื่อกอง/สำนักมีอักขระที่ใช้ไม่ได้")
    return name


def division_create(*, access: Access, name: str, token: str | None = None) -> Division:
    """A new division, numbered after the agency's last; a form token already used returns the
    division its first submission created."""
    access.require_manage()
    name = _division_name(name)
    with transaction.atomic():
        done = submission_claim(token=token, kind="division")
        if done is not None:
            return submission_object(Division.objects.filter(agency=access.agency), done)
        Agency.objects.select_for_update().filter(pk=access.agency.pk).first()  # one create at a time
        if Division.objects.filter(agency=access.agency, name=name).exists():
            raise ServiceError(f"มีกอง/สำนักชื่อ “{name}” อยู่แล้ว")
        last = Division.objects.filter(agency=access.agency).order_by("-order").first()
        division = Division.objects.create(agency=access.agency, name=name, order=(last.order + 1) if last else 1)
        submission_done(token=token, kind="division", object_id=division.pk)
    return division


def division_rename(*, access: Access, division: Division, name: str, expected_version: int | None) -> Division:
    """Rename from the version the page showed; a rename based on an older one is refused with both names."""
    access.require_manage()
    name = _division_name(name)
    try:
        with transaction.atomic():
            try:
                version_claim(division, expected_version)
            except StaleVersion:
                current = Division.objects.filter(pk=division.pk).values_list("name", flat=True).first()
                raise ServiceError(
                    f"มีผู้อื่นแก้ไขกอง/สำนักนี้หลังจากที่คุณเปิดหน้า ระบบจึงไม่บันทึกทับ: "
                    f"ชื่อล่าสุดในระบบคือ “{current or '(ถูกลบแล้ว)'}” ชื่อที่คุณกรอกคือ “{name}”"
                ) from None
            if Division.objects.filter(agency=access.agency, name=name).exclude(pk=division.pk).exists():
                raise ServiceError(f"มีกอง/สำนักชื่อ “{name}” อยู่แล้ว")
            division.name = name
            division.save()
    except IntegrityError:  # the same name saved by someone else at the same moment
        raise ServiceError(f"มีกอง/สำนักชื่อ “{name}” อยู่แล้ว") from None
    return division


def division_delete(*, access: Access, division: Division, expected_version: int | None) -> None:
    """Only a division nothing refers to, and only from the version the page showed."""
    access.require_manage()
    with transaction.atomic():
        try:
            version_check(division, expected_version)
        except StaleVersion as exc:
            raise ServiceError(str(exc)) from None
        in_use = _rows_naming(division)
        if in_use:
            raise ServiceError(f"ลบไม่ได้: กอง/สำนักนี้ยังรับผิดชอบ{'และ'.join(in_use)}อยู่")
        # Staff see and edit only their divisions' work: deleting theirs would leave them with none.
        staff = division.membership_set.count()
        if staff:
            raise ServiceError(f"ลบไม่ได้: ยังมีผู้ใช้สังกัดกอง/สำนักนี้อยู่ {staff} คน กรุณาย้ายไปกอง/สำนักอื่นหรือลบออกจากหน่วยงานก่อน")
        division.delete()


def _rows_naming(division: Division) -> list[str]:
    """What still refers to the division, by the referring models' Thai names.

    Asked through the model's relations, so that this app needs to know none of the apps above it
    (measures, activities, …) that point at divisions.
    """
    names = []
    for rel in Division._meta.related_objects:
        if rel.related_model is Membership.divisions.through or rel.related_model._meta.app_label == "agencies":
            continue
        if rel.related_model.__name__.startswith("Historical"):
            continue
        if getattr(division, rel.get_accessor_name()).exists():
            names.append(str(rel.related_model._meta.verbose_name))
    return names


# A coordinator names only accounts inside their agency's own prefix (“<code>.<name>”), so a
# taken name tells nothing about the accounts of other agencies; others join by invitation.
LOCAL_NAME = re.compile(r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$")


def member_username(*, agency: Agency, name: str) -> str:
    """The user name of a local account a coordinator creates, or a Thai refusal."""
    name = (name or "").strip()
    limit = 150 - len(agency.code) - 1
    if not name or len(name) > limit or not LOCAL_NAME.match(name):
        raise ServiceError(f"ชื่อผู้ใช้ใช้ได้เฉพาะตัวอักษรภาษาอังกฤษ ตัวเลข จุด ขีด และขีดล่าง ยาวไม่เกิน {limit} ตัวอักษร")
    return f"{agency.code}.{name}"


@transaction.atomic
def member_create(
    *,
    access: Access,
    username: str,
    first_name: str,
    last_name: str,
    password: str,
    role: str,
    position: str,
    divisions: Iterable[Division],
    email: str = "",
    actor=None,
) -> Membership:
    """A new local account with a temporary password, in the agency's own name space.

    Its holder must set their own password at first login (accounts/middleware.py), and an
    executive made this way approves reports only once an administrator confirms them."""
    from .services_accounts import account_event_record

    access.require_manage()
    User = get_user_model()
    username = member_username(agency=access.agency, name=username)
    if User.objects.filter(username=username).exists():
        raise ServiceError(f"หน่วยงานของคุณมีบัญชีชื่อ {username} อยู่แล้ว")
    user = User.objects.create_user(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=User.objects.normalize_email((email or "").strip()),
    )
    membership = Membership.objects.create(
        user=user, agency=access.agency, role=role, position=position, needs_confirmation=role == Role.EXECUTIVE
    )
    member_set_divisions(membership=membership, role=role, divisions=divisions)
    account_event_record(
        user=user,
        action=AccountEvent.Action.ACCOUNT_CREATED,
        actor=actor or (access.membership.user if access.membership else None),
        agency=access.agency,
    )
    return membership


def member_set_divisions(*, membership: Membership, role: str, divisions: Iterable[Division]) -> None:
    divisions = list(divisions)
    if role == Role.STAFF and not divisions:
        raise ServiceError("เจ้าหน้าที่กอง/สำนักต้องสังกัดอย่างน้อยหนึ่งกอง/สำนัก")
    if any(d.agency_id != membership.agency_id for d in divisions):
        raise ServiceError("กอง/สำนักที่เลือกไม่ได้อยู่ในหน่วยงานนี้")
    membership.divisions.set(divisions if role == Role.STAFF else [])


@transaction.atomic
def member_update(
    *,
    access: Access,
    membership: Membership,
    role: str,
    position: str,
    divisions: Iterable[Division],
    email: str | None = None,
    actor=None,
    expected_version: int | None = None,
) -> Membership:
    """Role, position and divisions; and the e-mail when given (services_accounts.member_email_set).

    expected_version is the version the user's form was based on: a stale one is refused."""
    from .services_accounts import account_event_record, member_email_set

    access.require_manage()
    stored = Membership.objects.select_for_update().filter(pk=membership.pk).first()
    if stored is None:
        raise ConflictError("ผู้ใช้นี้ถูกนำออกจากหน่วยงานแล้วโดยผู้อื่น กรุณาโหลดหน้าใหม่")
    if expected_version is not None and expected_version != stored.version:
        raise ConflictError(
            "มีการแก้ไขสิทธิ์ของผู้ใช้นี้หลังจากที่คุณเปิดแบบฟอร์ม ระบบจึงไม่บันทึกทับ กรุณาตรวจสิ่งที่คุณกรอกไว้ แล้วโหลดหน้าใหม่เพื่อดูข้อมูลล่าสุด"
        )
    _keep_a_coordinator(membership=stored, new_role=role)
    # From the locked row: a coordinator who makes someone an executive needs an administrator too.
    membership.needs_confirmation = stored.needs_confirmation or (
        role == Role.EXECUTIVE and stored.role != Role.EXECUTIVE
    )
    membership.role = role
    membership.position = position
    membership.version = stored.version + 1  # the row is locked above
    membership.save()
    member_set_divisions(membership=membership, role=role, divisions=divisions)
    if role == Role.EXECUTIVE and stored.role != Role.EXECUTIVE:  # who to ask about it (oversight page)
        account_event_record(
            user=membership.user,
            action=AccountEvent.Action.EXECUTIVE_ROLE_SET,
            actor=actor or (access.membership.user if access.membership else None),
            agency=access.agency,
        )
    if email is not None:
        member_email_set(access=access, membership=membership, email=email, actor=actor)
    return membership


@transaction.atomic
def member_remove(*, access: Access, membership: Membership) -> None:
    access.require_manage()
    _keep_a_coordinator(membership=membership, new_role=None)
    membership.delete()


def _keep_a_coordinator(*, membership: Membership, new_role: str | None) -> None:
    if membership.role == Role.COORDINATOR and new_role != Role.COORDINATOR:
        others = Membership.objects.filter(agency=membership.agency, role=Role.COORDINATOR).exclude(pk=membership.pk)
        if not others.exists():
            raise ServiceError("หน่วยงานต้องมีผู้ประสานงาน ITA อย่างน้อยหนึ่งคน")


PROFILE_FIELDS = ("kind", "name", "district", "province", "phone", "email", "website")


@transaction.atomic
def agency_profile_update(*, access: Access, data: dict) -> Agency:
    """The coordinator's edit of the agency's profile (type, name, อำเภอ, จังหวัด, contacts).

    Recorded by django-simple-history like every change to the agency; the code never changes.
    """
    access.require_manage()
    agency = Agency.objects.select_for_update().get(pk=access.agency.pk)
    name = (data.get("name") or "").strip()
    if not name:
        raise ServiceError("กรุณากรอกชื่อหน่วยงาน")
    changed = []
    for field in PROFILE_FIELDS:
        value = (data.get(field) or "").strip()
        if field == "name":
            value = name
        if getattr(agency, field) != value:
            setattr(agency, field, value)
            changed.append(field)
    if changed:
        agency.save(update_fields=changed)
    return agency
