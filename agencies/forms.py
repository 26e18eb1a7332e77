from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from .models import Division, Membership, Role


class DivisionForm(forms.Form):
    name = forms.CharField(label="ชื่อกอง/สำนัก", max_length=200)


class MemberForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "position", "divisions"]
        widgets = {"divisions": forms.CheckboxSelectMultiple}

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["divisions"].queryset = Division.objects.for_agency(agency)
        self.fields["divisions"].help_text = "ใช้กับเจ้าหน้าที่กอง/สำนักเท่านั้น"

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.STAFF and not data.get("divisions"):
            self.add_error("divisions", "เจ้าหน้าที่กอง/สำนักต้องสังกัดอย่างน้อยหนึ่งกอง/สำนัก")
        return data


class NewMemberForm(MemberForm):
    username = forms.CharField(label="ชื่อผู้ใช้", max_length=150)
    first_name = forms.CharField(label="ชื่อ", max_length=150)
    last_name = forms.CharField(label="นามสกุล", max_length=150, required=False)
    password = forms.CharField(
        label="รหัสผ่านเริ่มต้น",
        widget=forms.PasswordInput,
        required=False,
        help_text="จำเป็นสำหรับผู้ใช้ใหม่เท่านั้น",
    )

    class Meta(MemberForm.Meta):
        fields = ["username", "first_name", "last_name", "password", "role", "position", "divisions"]

    def clean(self):
        data = super().clean()
        username = data.get("username")
        exists = username and get_user_model().objects.filter(username=username).exists()
        if username and not exists:
            if not data.get("password"):
                self.add_error("password", "กรุณากำหนดรหัสผ่านสำหรับผู้ใช้ใหม่")
            else:
                try:
                    validate_password(data["password"])
                except forms.ValidationError as exc:
                    self.add_error("password", exc)
        return data
