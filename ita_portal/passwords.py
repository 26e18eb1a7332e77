"""Django's four password checks, saying what they want in Thai (settings.AUTH_PASSWORD_VALIDATORS).

Each keeps Django's rule and error code; only the words change.
"""

from django.contrib.auth import password_validation as django_validation
from django.core.exceptions import ValidationError

ATTRIBUTE_NAMES = {"username": "ชื่อผู้ใช้", "first_name": "ชื่อ", "last_name": "นามสกุล", "email": "อีเมล"}


class MinimumLengthValidator(django_validation.MinimumLengthValidator):
    def get_error_message(self):
        return f"รหัสผ่านสั้นเกินไป ต้องยาวอย่างน้อย {self.min_length} ตัวอักษร"

    def get_help_text(self):
        return f"รหัสผ่านต้องยาวอย่างน้อย {self.min_length} ตัวอักษร"


class UserAttributeSimilarityValidator(django_validation.UserAttributeSimilarityValidator):
    def validate(self, password, user=None):
        for attribute in self.user_attributes:
            check = django_validation.UserAttributeSimilarityValidator((attribute,), self.max_similarity)
            try:
                check.validate(password, user)
            except ValidationError:
                name = ATTRIBUTE_NAMES.get(attribute, attribute)
                raise ValidationError(self.get_error_message() % {"name": name}, code="password_too_similar")

    def get_error_message(self):
        return "รหัสผ่านคล้ายกับ%(name)sมากเกินไป"

    def get_help_text(self):
        return "รหัสผ่านต้องไม่คล้ายกับชื่อผู้ใช้ ชื่อ นามสกุล หรืออีเมลของคุณ"


class CommonPasswordValidator(django_validation.CommonPasswordValidator):
    def get_error_message(self):
        return "รหัสผ่านนี้ใช้กันทั่วไปและเดาได้ง่าย"

    def get_help_text(self):
        return "รหัสผ่านต้องไม่ใช่รหัสผ่านที่ใช้กันทั่วไป"


class NumericPasswordValidator(django_validation.NumericPasswordValidator):
    def get_error_message(self):
        return "รหัสผ่านเป็นตัวเลขทั้งหมด"

    def get_help_text(self):
        return "รหัสผ่านต้องไม่เป็นตัวเลขทั้งหมด"
