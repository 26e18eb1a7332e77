"""Hostile files built in memory (no large buffers in the test process) and a child-process meter.

``measure_child(code)`` runs ``code`` in a fresh Python with Django set up and returns its peak RSS
(``getrusage(RUSAGE_CHILDREN)`` in a small launcher whose only child it is) and the seconds the code
itself took.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD_ADDRESS_SPACE = 1536 * 1024 * 1024  # a runaway child fails instead of taking the machine


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 13000, height: int = 13000) -> bytes:
    """A valid greyscale PNG of width × height black pixels: a few hundred KB on disk."""
    comp = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    parts = [comp.compress(row) for _ in range(height)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{extra}</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="มาตรการ" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>{extra}</Relationships>'
)
_SST_REL = (
    '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
)
_SST_CT = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def xlsx(sheet_parts, *, shared_strings=None, dimension: str = "", level: int = 9) -> bytes:
    """A minimal workbook whose one sheet's XML is streamed from ``sheet_parts`` (str pieces);
    ``shared_strings``: pieces of sharedStrings.xml (after its opening tag)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", _CT.format(extra=_SST_CT if shared_strings is not None else ""))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(extra=_SST_REL if shared_strings is not None else ""))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(_SHEET_HEAD.encode())
            if dimension:
                f.write(f'<dimension ref="{dimension}"/>'.encode())
            f.write(b"<sheetData>")
            for part in sheet_parts:
                f.write(part.encode())
            f.write(b"</sheetData></worksheet>")
        if shared_strings is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
                f.write(
                    b'<?xml version="1.0" encoding="UTF-8"?>'
                    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                )
                for part in shared_strings:
                    f.write(part.encode())
                f.write(b"</sst>")
    return buf.getvalue()


def measure_child(code: str, *, files: dict[str, bytes] | None = None) -> dict:
    """Run ``code`` in a child Python with Django set up; ``files`` are written to a temporary
    directory, named in the code as ``FILES[name]`` (paths). The code sets ``RESULT`` (JSON-able).
    Returns {"result", "seconds" (the code alone), "rss_mb" (the child's peak), "returncode", "stderr"}."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, data in (files or {}).items():
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            paths[name] = path
        script = (
            "import json, os, sys, time\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "import django\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'ita_portal.settings')\n"
            "django.setup()\n"
            f"FILES = {paths!r}\n"
            "RESULT = None\n"
            "_t = time.perf_counter()\n"
            f"exec(compile({code!r}, 'child', 'exec'))\n"
            "_s = time.perf_counter() - _t\n"
            "print(json.dumps({'result': RESULT, 'seconds': _s}))\n"
        )
        out_path = os.path.join(tmp, "out.json")
        err_path = os.path.join(tmp, "err.txt")
        script_path = os.path.join(tmp, "check.py")
        with open(script_path, "w") as f:
            f.write(script)
        # A small launcher runs the check as its own child and reports that child's peak RSS
        # (RUSAGE_CHILDREN): measured from the test process, a forked child would count the
        # test process's own memory, copied at the fork.
        launcher = (
            "import resource, subprocess, sys\n"
            "def limit():\n"
            f"    resource.setrlimit(resource.RLIMIT_AS, ({CHILD_ADDRESS_SPACE}, {CHILD_ADDRESS_SPACE}))\n"
            f"with open({out_path!r}, 'wb') as out, open({err_path!r}, 'wb') as err:\n"
            f"    rc = subprocess.call([sys.executable, {script_path!r}], stdout=out, stderr=err, preexec_fn=limit)\n"
            "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        done = subprocess.run([sys.executable, "-c", launcher], cwd=ROOT, capture_output=True, text=True, check=True)
        rc, maxrss_kb = (int(x) for x in done.stdout.split())
        proc = subprocess.CompletedProcess([], rc)
        usage_mb = maxrss_kb / 1024  # ru_maxrss is in kilobytes on Linux
        with open(out_path) as f:
            lines = f.read().strip().splitlines()
        with open(err_path) as f:
            stderr = f.read()
        data = json.loads(lines[-1]) if proc.returncode == 0 and lines else {"result": None, "seconds": None}
        return {**data, "rss_mb": usage_mb, "returncode": proc.returncode, "stderr": stderr[-2000:]}
