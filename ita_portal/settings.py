"""ITA Portal settings: one module, driven by environment variables.

SQLite is the embedded default; set DATABASE_URL (postgres://…) for PostgreSQL.
Every variable is listed in the README's production section.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import fontpkg_sarabun
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = envbool("DEBUG", False)
# pytest sets PYTEST_VERSION for its whole run, commands the tests start included. The tests run
# with DEBUG off (production's settings), so they are the one other place the development key serves.
TESTING = "PYTEST_VERSION" in os.environ
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. In production set the SECRET_KEY environment variable to a long random "
            "value, e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'. "
            "For local development set DEBUG=1 (scripts/start.sh does)."
        )
    # Development and tests only: a fixed key, so local sessions survive restarts. Its prefix makes
    # `manage.py check --deploy` warn (security.W009) wherever it is used.
    SECRET_KEY = "django-insecure-development-key-" + "x" * 40

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "ita_portal",  # the project's own table, below every app (ita_portal/models.py)
    "agencies",
    "assessments",
    "measures",
    "notifications",
    "accounts",
    "reports",
    "oit",
    "oversight",
    "audit",
    "demo",
    "ops",
]

MIDDLEWARE = [
    # First, so its one log line per request times the whole stack (ops/middleware.py).
    "ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ita_portal.middleware.BoundedIdsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deny by default: public views opt out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A password someone else set is changed before anything else (accounts/middleware.py).
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # With DEBUG on too, errors are the Thai pages (DEBUG_TRACEBACKS=1: Django's debug page for a 500).
    "ita_portal.errors.ThaiErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page (HTTP 429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ita_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agencies.context_processors.membership",
            ],
            "builtins": ["agencies.templatetags.thai"],
        },
    },
]

WSGI_APPLICATION = "ita_portal.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
# SQLite (one agency or a trial; PostgreSQL for anything shared): WAL keeps readers from blocking
# the writer; a writer waits up to 5 s for another instead of failing; every transaction takes the
# write lock when it begins (IMMEDIATE), so two transactions that read then write queue instead of
# one failing at once with "database is locked".
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 5,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Plain SQLite without persistent connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)

# A streaming replica of the same database for read-heavy roll-ups (the oversight pages); unset,
# they read the primary. Replication lag only delays those summaries by as long.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Login: django-axes counts failures per user name and address; AXES_FAILURE_LIMIT failures
# in a row lock that pair out for AXES_COOLOFF_MINUTES (HTTP 429, a Thai page). A success resets.
# Behind a proxy REMOTE_ADDR is the proxy, so the lock is then in effect per user name.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Django's four checks, with Thai messages and help texts (ita_portal/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "ita_portal.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "ita_portal.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "ita_portal.passwords.CommonPasswordValidator"},
    {"NAME": "ita_portal.passwords.NumericPasswordValidator"},
]
# A password-reset link works this long (and once: it dies when the password changes).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_HOURS", "24")) * 3600

# E-mail: Django's mail API, used only by the outbox sender (notifications/delivery.py); web
# requests queue messages, never send. EMAIL_BACKEND is a dotted path or smtp | file | console.
# Development (DEBUG) defaults to files in var/mail/ (one per message) so a newcomer can read
# the password-reset mail there; production defaults to SMTP.
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or ("file" if DEBUG else "smtp")
EMAIL_BACKEND = _EMAIL_BACKENDS.get(EMAIL_BACKEND, EMAIL_BACKEND)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ITA Portal <no-reply@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# LINE Messaging API (push messages with each agency's channel access token). The base URL is a
# setting so that tests point it at a fake server on 127.0.0.1. (LINE Notify closed in 2025.)
LINE_API_BASE = os.environ.get("LINE_API_BASE", "https://api.line.me").rstrip("/")
LINE_TIMEOUT = int(os.environ.get("LINE_TIMEOUT", "10"))
# The outbox gives up on a message after this many failed sends (about a day with the delays of
# notifications/delivery.py: 1, 5, 30 min, 2 h, then every 6 h); the coordinator can resend it.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))

LANGUAGE_CODE = "th"
LANGUAGES = [("th", "ไทย")]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Sarabun is served from the fontpkg-sarabun package, not copied into the repository.
SARABUN_DIR = Path(fontpkg_sarabun.__file__).parent / "files"
STATICFILES_DIRS = [BASE_DIR / "static", ("fonts/sarabun", SARABUN_DIR)]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: evidence photos are decoded and re-encoded, never stored as sent.
EVIDENCE_MAX_UPLOAD_BYTES = int(os.environ.get("EVIDENCE_MAX_UPLOAD_BYTES", str(15 * 1024 * 1024)))
# Pixels are checked from the image header before decoding (a 500 KB PNG can decode to gigabytes):
# per photo, per save (all photos of one form) and photos per form. Pillow's own decompression-bomb
# guard (Image.MAX_IMAGE_PIXELS, set from PHOTO_MAX_PIXELS in measures/apps.py) is the backstop.
PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", str(40_000_000)))
PHOTO_MAX_TOTAL_PIXELS = int(os.environ.get("PHOTO_MAX_TOTAL_PIXELS", str(160_000_000)))
PHOTO_MAX_PER_FORM = int(os.environ.get("PHOTO_MAX_PER_FORM", "10"))
# Workbooks and national score sheets: refused whole above this size, before parsing.
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# OIT evidence files (PDF, JPEG, PNG) and the OIT link checker (oit/linkcheck.py).
OIT_MAX_UPLOAD_BYTES = int(os.environ.get("OIT_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
OIT_LINKCHECK_TIMEOUT = float(os.environ.get("OIT_LINKCHECK_TIMEOUT", "15"))
OIT_LINKCHECK_MAX_BYTES = int(os.environ.get("OIT_LINKCHECK_MAX_BYTES", str(25 * 1024 * 1024)))
# False in production: never connect to loopback, link-local or private addresses. Tests give a
# list of networks (["127.0.0.1/32"]) for their fake servers; True allows every address.
OIT_LINKCHECK_ALLOW_PRIVATE = os.environ.get("OIT_LINKCHECK_ALLOW_PRIVATE", "0") == "1"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security: production defaults; DEBUG or SECURE_SSL_REDIRECT=0 relaxes them for local http.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Probes of the load balancer and the deploy speak plain HTTP to the app port.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY") else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp): the portal's own files only. No inline script or style
# (confirm dialogs are static/js/portal.js, chart heights are classes in static/css/chart.css);
# no framing except the public embed view, which replaces frame-ancestors for itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Bump when templates or the renderer change, so stored PDFs of unchanged data are re-rendered.
REPORT_RENDERER_VERSION = "2026.12.1"  # the grapheme text layer and chunked rendering (#17)
REPORT_RENDER_TIMEOUT = int(os.environ.get("REPORT_RENDER_TIMEOUT", "120"))
# Each PDF is rendered by a worker in a forked child with these limits (reports/tasks.py): the
# timeout (wall clock and CPU), and how much address space the render may add to the worker's.
REPORT_RENDER_MEMORY_MB = int(os.environ.get("REPORT_RENDER_MEMORY_MB", "1024"))
REPORT_RENDER_MAX_ATTEMPTS = int(os.environ.get("REPORT_RENDER_MAX_ATTEMPTS", "2"))
# Failed draft renders of the same data a coordinator may retry (reports.services): after that the
# data must change (e.g. shorter text), so one report cannot keep the shared workers busy.
REPORT_RENDER_MAX_RETRIES = int(os.environ.get("REPORT_RENDER_MAX_RETRIES", "2"))

# Background tasks (PDF rendering): django-tasks with the django-tasks-db backend; workers run
# scripts/worker.sh. TASKS_BACKEND=immediate runs tasks inline (tests, one-off scripts).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if os.environ.get("TASKS_BACKEND") == "immediate"
        else "django_tasks_db.DatabaseBackend",
    }
}

# Oversight pages count synthetic agencies (generate_synthetic) only when asked: scale tests.
OVERSIGHT_INCLUDE_SYNTHETIC = envbool("OVERSIGHT_INCLUDE_SYNTHETIC", False)
# An oversight summary (thousands of agencies aggregated) is kept this long in the cache; 0 = off.
OVERSIGHT_CACHE_SECONDS = int(os.environ.get("OVERSIGHT_CACHE_SECONDS", "300"))

# Cache for the page reads (ita_portal/cache.py) and oversight summaries. Each process keeps its
# own unless REDIS_URL names a Redis that all app servers share (fewer misses with many workers).
# Either is correct: page entries are keyed by version tokens read from the database.
# An unreachable Redis is an empty cache (ops/cache.py): pages are computed afresh, not 500; after
# a failure Redis is left alone for CACHE_RETRY_SECONDS, and the outage logged once a minute.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "ops.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "ita",
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
                "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
                "RETRY_SECONDS": float(os.environ.get("CACHE_RETRY_SECONDS", "5")),
                "LOG_SECONDS": 60,
            },
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 20000}}
    }

# Shared object storage for media and PDFs when several app servers and workers run:
# S3-compatible (AWS S3, MinIO, Ceph, Cloudflare R2…) via django-storages, on when
# AWS_STORAGE_BUCKET_NAME is set. Credentials come from the environment, never from here.
# Every stored file (photos and their print copies, published PDFs, the draft cache, uploads
# waiting for import) is read and written through Django's storage API only; the renderer reads
# photos with storage.open() too (reports/rendering.py), so nothing needs a local path.


def s3_storage(env=os.environ) -> dict:
    """The STORAGES entry for an S3-compatible bucket named by the environment (tests call it too)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": env.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "location": env.get("AWS_LOCATION", ""),
        },
    }


if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = s3_storage()

# Logs go to stderr (gunicorn, systemd or the container collect them). `ita.request` writes one
# JSON line per request (ops/middleware.py: route, agency code, user id, status, duration in ms);
# REQUEST_LOG=0 turns it off.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"ita.request": {"level": "INFO" if envbool("REQUEST_LOG", True) else "WARNING"}},
}
