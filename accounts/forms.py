"""Django's password forms in Thai; the reset mail goes through the outbox, never straight out."""

import time

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.template import loader

from agencies.models import Division, Role
from notifications.models import Channel
from notifications.services import outbox_enqueue

MISMATCH = "รหัสผ่านทั้งสองช่องไม่ตรงกัน"
# One reset mail per user per this many seconds, however often the form is sent.
RESET_MAIL_WINDOW = 600


class SetPasswordForm(auth_forms.SetPasswordForm):
    error_messages = {**auth_forms.SetPasswordForm.error_messages, "password_mismatch": MISMATCH}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "รหัสผ่านใหม่"
        self.fields["new_password2"].label = "ยืนยันรหัสผ่านใหม่"
        self.fields["new_password2"].help_text = "พิมพ์รหัสผ่านใหม่อีกครั้ง"


class PasswordChangeForm(SetPasswordForm, auth_forms.PasswordChangeForm):
    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_mismatch": MISMATCH,
        "password_incorrect": "รหัสผ่านปัจจุบันไม่ถูกต้อง",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "รหัสผ่านปัจจุบัน"


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label="อีเมล",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="อีเมลที่ลงทะเบียนไว้กับบัญชีของคุณ",
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Queue the mail in the outbox (a sensitive one: erased once delivered)."""
        user = context["user"]
        context = {**context, "site_url": settings.SITE_URL, "timeout_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        membership = user.memberships.select_related("agency").order_by("id").first()
        outbox_enqueue(
            recipient=user,
            agency=membership.agency if membership else None,
            channel=Channel.EMAIL,
            address=to_email,
            subject=subject,
            body=body,
            sensitive=True,
            dedupe_key=f"password-reset:{user.pk}:{int(time.time()) // RESET_MAIL_WINDOW}",
        )


class AccountForm(forms.Form):
    email = forms.EmailField(
        label="อีเมล",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="ใช้รับลิงก์ตั้งรหัสผ่านใหม่เมื่อลืมรหัสผ่าน และการแจ้งเตือนทางอีเมล",
    )
    channel = forms.ChoiceField(
        label="รับการแจ้งเตือนทาง", choices=Channel.choices, widget=forms.RadioSelect, initial=Channel.EMAIL
    )
    line_user_id = forms.CharField(
        label="LINE user ID",
        required=False,
        max_length=64,
        help_text="สำหรับรับทาง LINE: เพิ่ม LINE Official Account ของหน่วยงานเป็นเพื่อน แล้วขอ LINE user ID "
        "(ขึ้นต้นด้วย U) จากผู้ประสานงาน ITA",
    )


class InvitationForm(forms.Form):
    """Only validates; accounts.services_invitations.invitation_send writes and sends."""

    email = forms.EmailField(label="อีเมลของผู้ที่จะเชิญ", max_length=254)
    role = forms.ChoiceField(label="บทบาท", choices=Role.choices, initial=Role.VIEWER)
    position = forms.CharField(label="ตำแหน่ง", max_length=200, required=False)
    divisions = forms.ModelMultipleChoiceField(
        label="กอง/สำนัก",
        queryset=Division.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="ใช้กับเจ้าหน้าที่กอง/สำนักเท่านั้น",
    )

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["divisions"].queryset = Division.objects.for_agency(agency)


class RegisterForm(forms.Form):
    """A new account from an invitation: the person sets their own password."""

    first_name = forms.CharField(label="ชื่อ", max_length=150)
    last_name = forms.CharField(label="นามสกุล", max_length=150, required=False)
    password1 = forms.CharField(label="ตั้งรหัสผ่าน", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="ยืนยันรหัสผ่าน", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", MISMATCH)
        return data
