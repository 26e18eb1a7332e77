"""Check one external evidence link the way an assessor would open it, safely.

No database here: `check_url` takes a URL and the fiscal year the document should name and returns
a `LinkResult`. It resolves the host itself and connects only to an address it has checked
(never to loopback, link-local, private, multicast or reserved ranges unless
OIT_LINKCHECK_ALLOW_PRIVATE says so), follows redirects one hop at a time re-checking each, sends a
clear User-Agent, and stops at a size and a time limit. For a PDF the text must contain the year
(Arabic or Thai digits), read with PyMuPDF.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from ita_portal.thai import thai_digits

USER_AGENT = "ITA-Portal-LinkCheck/1.0 (OIT evidence link checker)"
MAX_REDIRECTS = 5
_TOO_BIG = object()  # the body went past the size limit
ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "application/pdf", "image/jpeg", "image/png")


@dataclass
class LinkResult:
    url: str
    ok: bool
    problem: str = ""
    status_code: int | None = None
    content_type: str = ""
    size: int | None = None
    final_url: str = ""


class Refused(Exception):
    """The link cannot be checked safely or failed a check; the message is the Thai reason."""


def _allowed_networks():
    allow = settings.OIT_LINKCHECK_ALLOW_PRIVATE
    if allow is True:
        return True
    if not allow:
        return []
    return [ipaddress.ip_network(n) for n in allow]


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    allowed = _allowed_networks()
    if allowed is True:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allowed):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve_checked(host: str, port: int) -> str:
    """An address of the host that may be connected to; every address must pass."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused("ไม่พบชื่อโดเมนของลิงก์") from None
    addresses = {info[4][0] for info in infos}
    if not addresses:
        raise Refused("ไม่พบชื่อโดเมนของลิงก์")
    for address in addresses:
        if not address_allowed(ipaddress.ip_address(address.split("%")[0])):
            raise Refused("ลิงก์ชี้ไปยังเครือข่ายภายใน (ไม่อนุญาตให้ตรวจ)")
    return sorted(addresses)[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _fetch_once(url: str, deadline: float, max_bytes: int):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("ลิงก์ต้องขึ้นต้นด้วย http:// หรือ https://")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_checked(parts.hostname, port)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Refused("เปิดลิงก์ไม่ทันเวลาที่กำหนด")
    cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    conn = cls(parts.hostname, port, address, timeout=remaining)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        response = conn.getresponse()
        if 300 <= response.status < 400:
            return response.status, dict(response.getheaders()), None
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            return response.status, dict(response.getheaders()), _TOO_BIG
        chunks, total = [], 0
        while True:
            if time.monotonic() > deadline:
                raise Refused("เปิดลิงก์ไม่ทันเวลาที่กำหนด")
            chunk = response.read(64 * 1024)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                return response.status, dict(response.getheaders()), _TOO_BIG
            chunks.append(chunk)
        return response.status, dict(response.getheaders()), b"".join(chunks)
    except TimeoutError:
        raise Refused("เปิดลิงก์ไม่ทันเวลาที่กำหนด") from None
    except ssl.SSLError:
        raise Refused("ใบรับรองความปลอดภัย (HTTPS) ของเว็บไซต์ไม่ถูกต้อง") from None
    except (OSError, http.client.HTTPException):
        raise Refused("เชื่อมต่อเว็บไซต์ไม่ได้") from None
    finally:
        conn.close()


def pdf_has_year(pdf: bytes, be_year: int) -> bool:
    import pymupdf

    try:
        with pymupdf.open(stream=pdf, filetype="pdf") as doc:
            text = "".join(page.get_text() for page in doc)
    except Exception:  # a damaged PDF names no year
        return False
    return str(be_year) in text or thai_digits(str(be_year)) in text


def check_url(url: str, *, be_year: int | None) -> LinkResult:
    timeout = settings.OIT_LINKCHECK_TIMEOUT
    max_bytes = settings.OIT_LINKCHECK_MAX_BYTES
    deadline = time.monotonic() + timeout
    current = url
    result = LinkResult(url=url, ok=False)
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            status, headers, body = _fetch_once(current, deadline, max_bytes)
            headers = {k.lower(): v for k, v in headers.items()}
            result.status_code = status
            if body is None:  # a redirect: the next hop is checked like the first
                location = headers.get("location")
                if not location:
                    raise Refused(f"เว็บไซต์ส่งต่อลิงก์โดยไม่บอกปลายทาง (HTTP {status})")
                current = urljoin(current, location)
                continue
            break
        else:
            raise Refused("ลิงก์ส่งต่อกันหลายทอดเกินไป")
        result.final_url = current
        result.content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if status != 200:
            raise Refused(f"เว็บไซต์ตอบกลับ HTTP {status}")
        if body is _TOO_BIG:
            raise Refused("ไฟล์ใหญ่เกินขนาดที่ตรวจได้")
        result.size = len(body)
        if result.content_type not in ACCEPTED_TYPES:
            raise Refused(f"ชนิดเนื้อหาไม่ใช่หน้าเว็บ PDF หรือภาพ ({result.content_type or 'ไม่ระบุ'})")
        if result.content_type == "application/pdf" and be_year and not pdf_has_year(body, be_year):
            raise Refused(f"ไม่พบปีงบประมาณ พ.ศ. {be_year} ในเนื้อหา PDF")
        result.ok = True
    except Refused as exc:
        result.problem = str(exc)
    return result
