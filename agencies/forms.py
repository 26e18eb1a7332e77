from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password

from ita_portal.edits import edit_fields_add

from .models import Agency, Division, Membership, Role


class DivisionForm(forms.Form):
    name = forms.CharField(label="ชื่อกอง/สำนัก", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        edit_fields_add(self, version=None)


class MemberForm(forms.ModelForm):
    email = forms.EmailField(
        label="อีเมล",
        required=False,
        help_text="ใช้รับลิงก์ตั้งรหัสผ่านใหม่ (ลืมรหัสผ่าน) และการแจ้งเตือน",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Membership
        fields = ["email", "role", "position", "divisions"]
        widgets = {"divisions": forms.CheckboxSelectMultiple}

    def __init__(self, *args, agency, email_locked: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["divisions"].queryset = Division.objects.for_agency(agency)
        self.fields["divisions"].help_text = "ใช้กับเจ้าหน้าที่กอง/สำนักเท่านั้น"
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["version"].initial = self.instance.version
        if email_locked:  # an account that reaches beyond this agency: its owner sets it
            self.fields["email"].disabled = True
            self.fields["email"].help_text = f"{email_locked} ผู้ใช้แก้ไขอีเมลเองได้ที่หน้า “บัญชีของฉัน”"

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.STAFF and not data.get("divisions"):
            self.add_error("divisions", "เจ้าหน้าที่กอง/สำนักต้องสังกัดอย่างน้อยหนึ่งกอง/สำนัก")
        return data


class NewMemberForm(MemberForm):
    """A new local account with a temporary password (people with an account join by invitation)."""

    username = forms.CharField(label="ชื่อผู้ใช้", max_length=100)
    first_name = forms.CharField(label="ชื่อ", max_length=150)
    last_name = forms.CharField(label="นามสกุล", max_length=150, required=False)
    email = forms.EmailField(label="อีเมล", required=False, help_text="ใช้รับลิงก์ตั้งรหัสผ่านใหม่และการแจ้งเตือน")
    password = forms.CharField(
        label="รหัสผ่านชั่วคราว",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="แจ้งแก่ผู้ใช้โดยตรง ผู้ใช้ต้องตั้งรหัสผ่านของตนเองเมื่อเข้าสู่ระบบครั้งแรก",
    )

    class Meta(MemberForm.Meta):
        fields = ["username", "first_name", "last_name", "email", "password", "role", "position", "divisions"]

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, agency=agency, **kwargs)
        self.agency = agency
        self.fields[
            "username"
        ].help_text = f"ระบบเติม “{agency.code}.” หน้าชื่อ เช่น {agency.code}.somchai ผู้ที่มีบัญชีอยู่แล้ว ให้ใช้ “เชิญผู้ใช้” ทางอีเมลแทน"

    def clean(self):
        from .services import ServiceError, member_username

        data = super().clean()
        if data.get("username") and data.get("password"):
            try:
                username = member_username(agency=self.agency, name=data["username"])
            except ServiceError as exc:
                self.add_error("username", str(exc))
                return data
            candidate = get_user_model()(
                username=username,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                validate_password(data["password"], candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class TemporaryPasswordForm(forms.Form):
    """A coordinator's temporary password for a member; the rules are checked by the service."""

    password1 = forms.CharField(
        label="รหัสผ่านชั่วคราว",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="ยืนยันรหัสผ่านชั่วคราว", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "รหัสผ่านทั้งสองช่องไม่ตรงกัน")
        return data


class AgencyProfileForm(forms.ModelForm):
    """Only validates; agencies.services.agency_profile_update writes."""

    website = forms.URLField(
        label="เว็บไซต์", required=False, assume_scheme="https", help_text="เช่น https://www.example.go.th"
    )

    class Meta:
        model = Agency
        fields = ["kind", "name", "district", "province", "phone", "email", "website"]
        help_texts = {
            "district": "ชื่ออำเภอ ไม่ต้องพิมพ์คำว่า “อำเภอ”",
            "province": "ชื่อจังหวัด ไม่ต้องพิมพ์คำว่า “จังหวัด” (ใช้จัดกลุ่มในหน้ากำกับดูแลของจังหวัด)",
        }


class MemberFilterForm(forms.Form):
    """Search and filters of the member list; a value that is not a choice is ignored."""

    q = forms.CharField(
        label="ค้นหา",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "ชื่อผู้ใช้ ชื่อ หรือตำแหน่ง"}),
    )
    role = forms.ChoiceField(label="บทบาท", required=False, choices=[("", "ทุกบทบาท"), *Role.choices])
    division = forms.ModelChoiceField(
        label="กอง/สำนัก", required=False, queryset=Division.objects.none(), empty_label="ทุกกอง/สำนัก"
    )

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self._kwargs = {"agency": agency}
        self.fields["division"].queryset = Division.objects.for_agency(agency)

    def unbound(self):
        """The same form with nothing filled in."""
        return type(self)(**self._kwargs)

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q", ""),
            "role": data.get("role", ""),
            "division_id": data["division"].pk if data.get("division") else None,
        }
