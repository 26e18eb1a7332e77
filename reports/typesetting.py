"""Typesetting of a report's HTML text nodes before WeasyPrint lays it out.

Only text between tags is touched (never attributes, so file URIs and alt texts stay as they are):

* Thai digits, when the report asks for them, only in numbers and dates: a token holding a Latin
  letter, "@", "_" or a URL (LINE "@919ndngu", "E-mail", "O1", web addresses, codes) keeps its digits.
* No line break between "พ.ศ." and its year, a day and its month, a month and its year
  (no-break space where the agency wrote a space, WORD JOINER where it wrote none).
* Web addresses break only after "/" or "." (ZERO WIDTH SPACE there).
* Thai lines break between words by Pango/libthai; the measure tables' columns are sized so that
  their longest word fits (reports/layout.py), so a word is not broken for lack of room.
  (ZERO WIDTH SPACE between Thai words was tried: it disturbs the text layer's cluster order.)

The added characters are invisible and carry no glyph: the PDF's text layer does not contain them.
"""

import re

from pythainlp.util import arabic_digit_to_thai_digit

WJ = "\u2060"  # WORD JOINER: no break here
ZWSP = "\u200b"  # ZERO WIDTH SPACE: a break is allowed here
NBSP = "\u00a0"
GLUE = WJ + NBSP + WJ  # a space that never breaks, even where Thai line breaking would break at it

TEXT_NODE = re.compile(r">([^<]+)<")
_ENTITY = re.compile(r"(&#?\w+;)")
_TOKEN = re.compile(r"(\s+)")
_CODE = re.compile(r"[A-Za-z@_]|://|www\.", re.I)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.I)
_DIGIT = "[0-9๐-๙]"
_MONTHS = (
    "มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม|"
    r"ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\.|ต\.ค\.|พ\.ย\.|ธ\.ค\."
)
_ERA = re.compile(rf"(พ\.ศ\.|ค\.ศ\.)( *)(?={_DIGIT})")
_DAY_MONTH = re.compile(rf"(?<![0-9๐-๙])({_DIGIT}{{1,2}}) +(?={_MONTHS})")
_MONTH_YEAR = re.compile(rf"({_MONTHS}) +(?={_DIGIT}{{2,4}})")


def thai_digits_text(text: str) -> str:
    """Thai digits in the numbers and dates of a text; identifiers, codes and URLs keep theirs."""
    out = []
    for token in _TOKEN.split(text):
        parts = _ENTITY.split(token)
        words = "".join(p for i, p in enumerate(parts) if i % 2 == 0)
        if _CODE.search(words):
            out.append(token)
            continue
        out.append("".join(p if i % 2 else arabic_digit_to_thai_digit(p) for i, p in enumerate(parts)))
    return "".join(out)


def no_break_joins(text: str) -> str:
    text = _ERA.sub(lambda m: m.group(1) + (GLUE if m.group(2) else WJ), text)
    text = _DAY_MONTH.sub(lambda m: m.group(1) + GLUE, text)
    return _MONTH_YEAR.sub(lambda m: m.group(1) + GLUE, text)


def url_breaks(text: str) -> str:
    return _URL.sub(lambda m: re.sub(r"([/.])(?=.)", r"\1" + ZWSP, m.group(0)), text)


def typeset_text(text: str, *, thai_digits: bool) -> str:
    if thai_digits:
        text = thai_digits_text(text)
    return url_breaks(no_break_joins(text))


def typeset_html(html: str, *, thai_digits: bool) -> str:
    """Every text node of the body typeset; the head (title, metadata) left as written."""
    head, sep, body = html.partition("<body")
    if not sep:
        head, body = "", html
    body = TEXT_NODE.sub(lambda m: ">" + typeset_text(m.group(1), thai_digits=thai_digits) + "<", body)
    if thai_digits:
        head = TEXT_NODE.sub(lambda m: ">" + thai_digits_text(m.group(1)) + "<", head)
    return head + sep + body
