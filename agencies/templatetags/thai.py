from django import template

from ita_portal import thai

register = template.Library()


@register.filter
def thaidate(value, arg=""):
    return thai.thai_date(value, short=arg == "short")


@register.filter
def bedate(value):
    return thai.format_be_date(value)


@register.filter
def score(value, digits="arabic"):
    return thai.score(value, digits=digits)


@register.filter
def signed(value, digits="arabic"):
    return thai.signed(value, digits=digits)


@register.filter
def thainum(value, digits="thai"):
    return thai.thai_digits(value) if digits == "thai" else value


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def thaidatetime(value):
    if value is None:
        return ""
    from django.utils import timezone

    local = timezone.localtime(value)
    return f"{thai.thai_date(local.date(), short=True)} {local:%H:%M} น."
