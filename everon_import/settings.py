"""Settings for station import, read from the environment through small strict helpers.

Safe defaults: DEBUG off unless asked for, a SQLite file for a local run. Without DEBUG the app refuses
to start without a real secret key, and cookies, HSTS and the HTTPS redirect are on.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A boolean from the environment; anything but a known spelling is refused, not guessed."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: use one of {sorted(_TRUE | _FALSE - {''})}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_public_url(name: str) -> str:
    """An absolute http(s) address without query or fragment (trailing slash dropped), or "" when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: expected an address like https://stations.example.com (no query or fragment)."
        )
    return raw.rstrip("/")


DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET_KEY = "django-insecure-local-development-only"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off (set a long random value)."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a random value of at least 50 characters.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # OpClass in index expressions (the trigram indexes of the station search) needs it registered.
    "formtools",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "stations",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session and every lookup: PostgreSQL cannot take a NUL character in a query.
    "stations.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "everon_import.urls"
WSGI_APPLICATION = "everon_import.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
_ENGINES = {"django.db.backends.sqlite3": "sqlite", "django.db.backends.postgresql": "postgresql"}
if DATABASES["default"].get("ENGINE") not in _ENGINES:
    raise ImproperlyConfigured(
        f"DATABASE_URL: the database engine {DATABASES['default'].get('ENGINE')!r} is not supported; "
        "use sqlite:///… or postgres://… (SQLite and PostgreSQL only)."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several requests write at once (an upload while the wizard saves): wait for the lock, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # PostgreSQL's planner prices a random page read at 4 sequential ones, a figure for spinning disks. On
    # SSDs and with the working set in memory it is near 1 (the usual advice: 1.1). At 1,000,000 stations
    # the default had the overview's line-voltage filter count the list by a scan of all 900,000 stations of
    # the operator (150 ms) instead of 6,666 index lookups (55 ms).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c random_page_cost=1.1"

# Shared by every app server (activation throttling lives here): the database, not process memory.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
        # The default (300) would let a flood of new counters cull the activation throttle's counters.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
# The product's one date-time format (everon_import/formats/en/formats.py), for en-gb too.
FORMAT_MODULE_PATH = "everon_import.formats"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The API (SPEC §9): personal tokens only, JSON only, every error with a stable code (api.errors).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasMethodPermissions"],
    "DEFAULT_THROTTLE_CLASSES": ["api.permissions.TokenRateThrottle"],
    # Per token, in the shared database cache like the activation counters.
    "DEFAULT_THROTTLE_RATES": {"token": "1200/minute"},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Station import API",
    "DESCRIPTION": (
        "Stations, imports, activation and OCPI 2.2.1 connectors for other systems. Authenticate with a "
        "personal API token from /account/api-tokens/: `Authorization: Bearer <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ConnectorStandard": "stations.choices.ConnectorStandard",
        "ConnectorFormat": "stations.choices.ConnectorFormat",
        "PowerType": "stations.choices.PowerType",
        "StationStatus": "stations.choices.StationStatus",
        "ImportSource": "stations.choices.ImportSource",
    },
}

# Product limits, read at call time so tests can override them.
STATION_IMPORT_MAX_UPLOAD_BYTES = env_int("STATION_IMPORT_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
STATION_IMPORT_MAX_ROWS = 5000
ACTIVATION_MAX_FAILED_ATTEMPTS = 5
ACTIVATION_ATTEMPT_WINDOW_SECONDS = 15 * 60
# Stored error lists are deleted (the record kept) after this many days: `manage.py prune_imports`.
STATION_IMPORT_ERROR_RETENTION_DAYS = env_int("STATION_IMPORT_ERROR_RETENTION_DAYS", 90)
# Kept upload files (once ImportRecord keeps them) are deleted after this many hours, by the same command.
STATION_IMPORT_KEPT_FILE_RETENTION_HOURS = env_int("STATION_IMPORT_KEPT_FILE_RETENTION_HOURS", 24)
# At most this many errors are stored per ImportRecord (the page shows 100, the download the stored ones):
# twice the row limit, so a full file with an error in every row and a second one in many still stores
# them all, while a file wrong in every cell (5,000 rows x 11 columns) stores a bounded list.
STATION_IMPORT_MAX_STORED_ERRORS = env_int("STATION_IMPORT_MAX_STORED_ERRORS", 10_000)
# A request announcing a body larger than the upload limit plus this much (the form's other fields and
# the multipart framing) is refused before its body is read.
REQUEST_BODY_MARGIN_BYTES = 64 * 1024
# Django's default (1,000 fields) answered an admin save of 150 connector specifications (9 fields each)
# with a bare 400 before the form could say "at most 64": room for the form to refuse such a post itself.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000


def env_networks(name: str) -> list[str]:
    """Comma-separated addresses or CIDR networks; a value that is neither is refused at start-up."""
    entries = env_list(name, [])
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8, ::1)."
            ) from None
    return entries


# The proxies whose X-Forwarded-For is believed (stations/client_address.py); none by default.
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")

# Sign-in throttling (django-axes), on every login form (the product's and the admin's), in the database.
# Either limit locks: a username tried from many addresses, and an address trying many usernames.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_MAX_FAILED_ATTEMPTS", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_LOCKOUT_MINUTES", 15))
for _name, _value in [
    ("DJANGO_LOGIN_MAX_FAILED_ATTEMPTS", AXES_FAILURE_LIMIT),
    ("DJANGO_LOGIN_LOCKOUT_MINUTES", AXES_COOLOFF_TIME.total_seconds()),
]:
    if _value < 1:
        # 0 would lock every sign-in out (or never lift a lockout): refused rather than obeyed.
        raise ImproperlyConfigured(f"{_name}={os.environ[_name]!r}: expected a whole number of at least 1.")
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "stations.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "stations.views.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ADMIN = True

# Content-Security-Policy (django-csp): our files only, no inline script, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its form icons (checks, selects) as data: SVGs in its CSS.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The public address the activation links on printed labels point to; empty: the printing request's own.
STATION_IMPORT_PUBLIC_URL = env_public_url("STATION_IMPORT_PUBLIC_URL")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets this header itself: it tells Django the request came over HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO").strip().upper() or "INFO"
if LOG_LEVEL not in _LOG_LEVELS:
    raise ImproperlyConfigured(
        f"DJANGO_LOG_LEVEL={os.environ['DJANGO_LOG_LEVEL']!r}: use one of {', '.join(_LOG_LEVELS)}."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
