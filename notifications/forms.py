from django import forms


class LineChannelForm(forms.Form):
    access_token = forms.CharField(
        label="Channel access token (long-lived)",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="จาก LINE Developers Console › Messaging API ของ LINE Official Account ของหน่วยงาน เว้นว่างไว้เพื่อใช้ค่าเดิม",
    )
    remove = forms.BooleanField(label="เลิกใช้ LINE Official Account นี้", required=False)
