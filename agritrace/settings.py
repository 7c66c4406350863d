"""Django settings for AgriTrace. Everything that differs between machines comes from the
environment (see README, "Configuration")."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("AGRITRACE_VAR_DIR", BASE_DIR.parent / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("AGRITRACE_DEBUG", False)
SECRET_KEY = os.environ.get("AGRITRACE_SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = os.environ.get("AGRITRACE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("AGRITRACE_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
# Empty: links follow the address served on (agritrace.site.site_url).
SITE_URL = os.environ.get("AGRITRACE_SITE_URL", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # the API docs from local static files (no CDN, no inline script: CSP)
    "agritrace.places",
    "agritrace.accounts",
    "agritrace.audit",
    "agritrace.notifications",
    "agritrace.registry",
    "agritrace.diary",
    "agritrace.supervision",
    "agritrace.trace",
    "agritrace.stamps",
    "agritrace.misuse",
    "agritrace.reports",
    "agritrace.eudr",
    "agritrace.exchange",
    "agritrace.products",
    "agritrace.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "agritrace.site.SiteAddressMiddleware",
    "agritrace.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "agritrace.text.ForbiddenTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # GETs of the public lookup, traces and exports read through the replica (replica.py)
    "agritrace.replica.ReplicaReadsMiddleware",
    # a signed-in person's saved language (accounts.preferences; the public pages keep
    # LocaleMiddleware's choice: the switch's cookie, then Accept-Language)
    "agritrace.accounts.preferences.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# HTTPS behind a TLS-terminating proxy (README, "Running in production"): AGRITRACE_HTTPS=1
# redirects plain HTTP, marks the cookies Secure and sends HSTS. The proxy must set
# X-Forwarded-Proto (and drop a client's own). Off by default: the demo runs on plain HTTP.
HTTPS = env_bool("AGRITRACE_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a health probe may ask over plain HTTP
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("AGRITRACE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The Content-Security-Policy of every response is set by agritrace.security.

ROOT_URLCONF = "agritrace.urls"
WSGI_APPLICATION = "agritrace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agritrace.web.context.actor",
            ],
            # {{ x|number }}: numbers in the page's language, grouped (agritrace/numbers.py).
            "builtins": ["agritrace.web.templatetags.numbers"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'agritrace.sqlite3'}"),
        conn_max_age=int(os.environ.get("AGRITRACE_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Wait for a competing writer rather than failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# A PostgreSQL streaming replica for the public lookup, trace reads and exports
# (agritrace/replica.py); writes and everything else stay on the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("AGRITRACE_DB_CONN_MAX_AGE", "0")),
    )
    # Tests read the primary's test database through the alias (no second test database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["agritrace.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "public-codes"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Dates typed in forms: day first in Vietnamese, ISO always, ambiguous ones refused
# (agritrace/formats/: the locales' formats, and the fields every form uses).
FORMAT_MODULE_PATH = ["agritrace.formats"]
# Forms without the maxlength attribute browsers cut pasted text to (agritrace/limits.py).
FORM_RENDERER = "agritrace.limits.FormRenderer"
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("AGRITRACE_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("AGRITRACE_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = os.environ.get(
    "AGRITRACE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("AGRITRACE_FROM_EMAIL", "agritrace@localhost")
EMAIL_HOST = os.environ.get("AGRITRACE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("AGRITRACE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("AGRITRACE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("AGRITRACE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("AGRITRACE_EMAIL_USE_TLS", False)

# Map tiles: empty means "no base layer" (a closed network has no tile server); set to a
# tile URL template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png where allowed.
AGRITRACE_TILE_URL = os.environ.get("AGRITRACE_TILE_URL", "")
AGRITRACE_TILE_ATTRIBUTION = os.environ.get("AGRITRACE_TILE_ATTRIBUTION", "")

# The API's lists page with agritrace.paging.Paging (limit and offset bounded, 422 beyond).
NINJA_PAGINATION_CLASS = "agritrace.paging.Paging"
NINJA_PAGINATION_MAX_LIMIT = 1000
# The largest EPCIS document a capture accepts (agritrace/trace/intake.py; 413 above it).
AGRITRACE_CAPTURE_MAX_BYTES = int(os.environ.get("AGRITRACE_CAPTURE_MAX_BYTES", 32 * 1024 * 1024))

# The cache holds the stamps' lot summaries and rate-limit counters: per process, which suits
# one `agritrace serve` process; with several, set a shared backend in a settings module
# (README). Django's default of 300 entries would evict lot summaries on a busy day.
# The cache: Redis shared by every worker process and machine when AGRITRACE_REDIS_URL is set
# (redis://host:6379/0; the public lookup's lots and scan states, the rate limit), else this
# process's memory (the embedded default: `agritrace serve` then runs one worker).
REDIS_URL = os.environ.get("AGRITRACE_REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("AGRITRACE_CACHE_PREFIX", "agritrace"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("AGRITRACE_CACHE_MAX_ENTRIES", "20000"))},
        }
    }
# The scan log of the public lookup in a served process (agritrace/stamps/scanlog.py): written
# every AGRITRACE_SCAN_FLUSH_MS milliseconds or every AGRITRACE_SCAN_FLUSH_EVERY scans.
AGRITRACE_SCAN_FLUSH_MS = int(os.environ.get("AGRITRACE_SCAN_FLUSH_MS", "200"))
AGRITRACE_SCAN_FLUSH_EVERY = int(os.environ.get("AGRITRACE_SCAN_FLUSH_EVERY", "500"))

# Traceability stamps: the public address their QR codes point to (short: it sets the QR's
# size), and the keyring file of their signing keys (`agritrace stamps rotate-key`).
AGRITRACE_STAMP_DOMAIN = os.environ.get("AGRITRACE_STAMP_DOMAIN", "")  # empty: the site's
AGRITRACE_STAMP_KEYRING = Path(
    os.environ.get("AGRITRACE_STAMP_KEYRING", VAR_DIR / "stamp-keys.json")
)

# A demo installation lists its demo logins on the login page (never in production).
AGRITRACE_SHOW_DEMO_LOGINS = env_bool("AGRITRACE_SHOW_DEMO_LOGINS", False)
# How many days back a suspension, reinstatement or revocation may be dated (the authority's
# limit; no legal figure is known to us).
AGRITRACE_BACKDATE_MAX_DAYS = int(os.environ.get("AGRITRACE_BACKDATE_MAX_DAYS", "90"))
# A typed position (a packing house, an inspection, a visit) must lie in Viet Nam and, for a
# planting area with drawn plots, within this many km of them (agritrace/registry/positions.py;
# the boxes, a settings-module value, default to registry.geometry.VIETNAM_BOXES).
AGRITRACE_POSITION_NEAR_KM = float(os.environ.get("AGRITRACE_POSITION_NEAR_KM", "5"))
AGRITRACE_POSITION_BOXES = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("AGRITRACE_LOG_LEVEL", "WARNING")},
}

# Misuse detection: run the rules on what each capture touches, after it commits.
AGRITRACE_MISUSE_INCREMENTAL = env_bool("AGRITRACE_MISUSE_INCREMENTAL", True)
# Rule codes left to the full scan (comma-separated); empty: every rule runs on capture too.
AGRITRACE_MISUSE_INCREMENTAL_SKIP = os.environ.get("AGRITRACE_MISUSE_INCREMENTAL_SKIP", "")

# Background work (agritrace/tasks.py, agritrace/celery.py): Celery workers (`agritrace worker`)
# when a broker is set (CELERY_BROKER_URL, else the Redis of AGRITRACE_REDIS_URL); without one,
# a thread of the web process (AGRITRACE_TASK_THREADS). AGRITRACE_TASK_RUNNER forces one of
# "celery", "thread", "eager" (at once, in the caller: tests).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or os.environ.get(
    "AGRITRACE_REDIS_URL", ""
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a capture job is long: one at a time per process
AGRITRACE_TASK_RUNNER = os.environ.get("AGRITRACE_TASK_RUNNER", "")
AGRITRACE_TASK_THREADS = int(os.environ.get("AGRITRACE_TASK_THREADS", "1"))
# A capture body above this many bytes becomes a background capture job (202 at once, progress
# on the job resource); smaller ones are captured before the answer. 4 MiB: about 10,000 events.
AGRITRACE_CAPTURE_ASYNC_BYTES = int(os.environ.get("AGRITRACE_CAPTURE_ASYNC_BYTES", 4 * 1024**2))

# The exchange with the national side (agritrace/exchange/, docs/exchange.md): whether a change
# that wrote outbox messages for an enabled connector starts a delivery run after it commits
# (through the task runner above; never under the eager runner), how long a worker's claim on
# a delivery lasts where the database has no row locks (SQLite), and how often
# `agritrace exchange deliver` (without --once) looks for due deliveries.
AGRITRACE_EXCHANGE_KICK = env_bool("AGRITRACE_EXCHANGE_KICK", True)
AGRITRACE_EXCHANGE_LEASE_SECONDS = int(os.environ.get("AGRITRACE_EXCHANGE_LEASE_SECONDS", "300"))
AGRITRACE_EXCHANGE_POLL_SECONDS = int(os.environ.get("AGRITRACE_EXCHANGE_POLL_SECONDS", "30"))
