"""Demo photos: pictures the project draws (Pillow), so the demo reports show their photo layout.

The seeds are text, their photos are not available; each demo photo is a plain drawing of a meeting
or a notice board, marked on its face as a demo picture so no one takes it for the agency's evidence
(the seed's caption prints under it, as under a real photo). Every third one is a portrait poster: the layout keeps each
photo's own ratio. The same index always gives the same bytes (load_demo is idempotent).
"""

import io
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont
from pythainlp.tokenize import word_tokenize

MARK = "ภาพสาธิต สร้างโดยระบบ ไม่ใช่ภาพจริงของหน่วยงาน"
PALETTE = [((222, 235, 247), (49, 130, 189)), ((229, 245, 224), (49, 163, 84)), ((254, 237, 222), (230, 85, 13))]


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "Sarabun-Bold.ttf" if bold else "Sarabun-Regular.ttf"
    return ImageFont.truetype(str(Path(settings.SARABUN_DIR) / name), size, layout_engine=ImageFont.Layout.RAQM)


def _lines(draw: ImageDraw.ImageDraw, text: str, font, width: int, limit: int = 3) -> list[str]:
    """Thai has no spaces between words: wrap at the word boundaries pythainlp finds."""
    lines, line = [], ""
    for word in word_tokenize(text, keep_whitespace=True):
        if line and draw.textlength(line + word, font=font) > width:
            lines.append(line.strip())
            line = word.lstrip()
        else:
            line += word
    if line.strip():
        lines.append(line.strip())
    return lines[:limit]


def _scene(draw: ImageDraw.ImageDraw, w: int, h: int, ink: tuple, portrait: bool) -> None:
    if portrait:  # a notice board with a poster on it
        draw.rectangle([w * 0.12, h * 0.16, w * 0.88, h * 0.66], fill=(255, 255, 255), outline=ink, width=8)
        for i in range(6):
            y = h * (0.24 + i * 0.065)
            draw.rectangle([w * 0.2, y, w * (0.8 - 0.07 * (i % 3)), y + h * 0.025], fill=ink)
        return
    # a meeting: a table and people around it
    draw.rectangle([0, h * 0.62, w, h], fill=tuple(max(c - 25, 0) for c in draw.im.getpixel((0, 0))))
    draw.rounded_rectangle([w * 0.18, h * 0.5, w * 0.82, h * 0.6], radius=18, fill=ink)
    for i in range(5):
        x = w * (0.24 + i * 0.13)
        draw.ellipse([x - 38, h * 0.24, x + 38, h * 0.24 + 76], fill=(90, 90, 90))
        draw.rounded_rectangle([x - 55, h * 0.24 + 86, x + 55, h * 0.5], radius=30, fill=(120, 120, 120))


def demo_photo_jpeg(*, index: int) -> bytes:
    portrait = index % 3 == 2
    w, h = (900, 1270) if portrait else (1600, 1200)
    paper, ink = PALETTE[index % len(PALETTE)]
    img = Image.new("RGB", (w, h), paper)
    draw = ImageDraw.Draw(img)
    _scene(draw, w, h, ink, portrait)
    band = int(h * 0.16)
    draw.rectangle([0, h - band, w, h], fill=(255, 255, 255))
    mark = _font(44 if portrait else 52, bold=True)
    for n, line in enumerate(_lines(draw, MARK, mark, w - 80, limit=2)):
        draw.text((40, h - band + 24 + n * 64), line, font=mark, fill=(200, 30, 30))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()
