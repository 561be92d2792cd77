"""Settings, all from the environment, with safe production defaults.

DATABASE_URL      owner connection (migrations, seeding). Unset: embedded PostgreSQL in var/pg.
DATABASE_APP_URL  runtime connection (web, workers, tests) as a role that RLS applies to.
                  Unset: DATABASE_URL with the user replaced by DMS_APP_DB_USER (default dms_app).
REDIS_URL         Celery broker/result backend and cache. Unset: kombu filesystem transport in var/.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("DMS_TESTING", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
_DEMO_SECRET = BASE_DIR / "var" / "secret_key"  # made once by scripts/demo.sh for this checkout
if not SECRET_KEY and _DEMO_SECRET.is_file():
    # The demo's own commands (e.g. `manage.py demo_otp`) run outside demo.sh's environment.
    SECRET_KEY = _DEMO_SECRET.read_text().strip()
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-dev-key-only-for-debug-and-tests"  # noqa: S105 - never used in production

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "dms.apps.DmsAdminConfig",  # django.contrib.admin, for HQ admins only (dms/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    # third party
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
    "phonenumber_field",
    "health_check",
    "pgtrigger",  # django-pghistory's triggers, installed by migrations
    "pghistory",  # catalogue history (HQ reference tables)
    "celery_progress",  # its progress-bar script (static); progress is served by our own views
    # project
    "dms.accounts",
    "dms.tenancy",
    "dms.audit",
    "dms.ops",  # operations: setup_db, demo_otp, the ping tasks
    "dms.security",
    "dms.idempotency",
    "dms.imports",  # strict atomic imports of HQ data (engine, jobs, pages)
    "dealers",
    "leads",
    "sales",
    "service",
    "inventory",
    "bulletins",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store, private on everything but static files (early: sees every answer).
    "dms.security.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # Django's SessionMiddleware, renewing the idle deadline once a minute at most (not per page).
    "dms.security.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The user's own language over the browser's (after the user is known).
    "dms.accounts.language.UserLanguageMiddleware",
    # Messages before the security middleware, which tells users why it redirected them.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dms.security.middleware.SessionLifetimeMiddleware",
    "dms.security.middleware.SecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dms.tenancy.middleware.TenantMiddleware",
    # Inside the tenant scope: a POST with an idempotency key runs once per user and key.
    "dms.idempotency.middleware.IdempotencyMiddleware",
    # AxesMiddleware last, as django-axes documents.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dms.urls"
WSGI_APPLICATION = "dms.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "dms.tenancy.context_processors.tenancy",
                "dms.navigation.navigation",
            ],
        },
    }
]

# Django's renderer with <select> and <input> written in Python (same markup, a fraction of the
# time; see dms/forms_renderer.py).
FORM_RENDERER = "dms.forms_renderer.FormRenderer"

# --- database: owner for schema work, restricted role at runtime -------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    from dms.devdb import embedded_database_url

    DATABASE_URL = embedded_database_url()
OWNER_DATABASE = dj_database_url.parse(DATABASE_URL)
APP_DB_USER = os.environ.get("DMS_APP_DB_USER", "dms_app")
APP_DB_PASSWORD = os.environ.get("DMS_APP_DB_PASSWORD", "")
if os.environ.get("DATABASE_APP_URL"):
    APP_DATABASE = dj_database_url.parse(os.environ["DATABASE_APP_URL"])
else:
    APP_DATABASE = {**OWNER_DATABASE, "USER": APP_DB_USER, "PASSWORD": APP_DB_PASSWORD}
DB_AS_OWNER = env_bool("DMS_DB_AS_OWNER", False)
_default_db: dict[str, Any] = dict(OWNER_DATABASE if DB_AS_OWNER else APP_DATABASE)
# Project backend: PostgreSQL plus the tenant scope in every transaction (dms/tenancy/db.py).
_default_db["ENGINE"] = "dms.tenancy.backend"
_default_db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
_default_db["CONN_HEALTH_CHECKS"] = True
# Every request runs in one transaction: the tenant's SET LOCAL lives exactly as long as it.
_default_db["ATOMIC_REQUESTS"] = True
_default_db["TEST"] = {"NAME": os.environ.get("DMS_TEST_DB_NAME", "test_dms")}
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, celery -------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache"),
        }
    }
    # No Redis: kombu's filesystem transport in var/celery, so background jobs still run.
    _queue_dir = BASE_DIR / "var" / "celery" / "queue"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(BASE_DIR / "var" / "celery" / "processed"),
        "control_folder": str(BASE_DIR / "var" / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = "file://" + str(BASE_DIR / "var" / "celery" / "results")
    for _folder in ("queue", "processed", "results", "control"):
        (BASE_DIR / "var" / "celery" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

if TESTING:
    # Tests get a private in-memory cache: throttles and lockout counters of parallel runs and
    # of the dev server (file cache in var/) must not leak into each other.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth and security ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, as django-axes requires
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing speed is not under test; Argon2 stays first in production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: S303
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "dms.security.validators.PasswordHistoryValidator", "OPTIONS": {"history": 5}},
]
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "two_factor:login"

# Lockout: N failures per account lock that account; per-IP throttling is a separate, higher
# limit so that one attacker cannot lock out a whole showroom by guessing usernames from one IP,
# and a locked account can still be unlocked by an admin or two colleagues (dual control).
AXES_FAILURE_LIMIT = env_int("DMS_LOCKOUT_FAILURES", 5)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_COOLOFF_TIME = None  # locked until unlocked by people, not by waiting
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dms.security.views.lockout_response"
# The key of the username in authenticate()'s credentials (also what Django's login-failed
# signal carries); the login form's POST field is "auth-username" (two-factor's wizard prefix).
AXES_USERNAME_FORM_FIELD = "username"
# axes keeps the POST data of failed attempts: mask the password and the one-time codes.
AXES_PASSWORD_FORM_FIELD = "auth-password"  # noqa: S105 - a form field name
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "password",
    "otp_token",
    "token-otp_token",
    "backup-otp_token",
]
# A locked account stays locked (attempts during the lockout are not counted again).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLED = env_bool("DMS_AXES_ENABLED", True)
# Per-IP limits are our own throttle (dms.security), deliberately higher than the per-account
# limit: a showroom shares one IP, and locking it would let one person lock out colleagues.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Client IP (login throttle, axes' records, API throttles, audit log, sessions): the number of
# reverse proxies in front of the app that append to X-Forwarded-For; 0 = the app is reached
# directly and REMOTE_ADDR is the client (X-Forwarded-For ignored). See docs/running.md.
DMS_TRUSTED_PROXY_COUNT = env_int("DMS_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "dms.security.ip.client_ip"
DMS_IP_THROTTLE_FAILURES = env_int("DMS_IP_THROTTLE_FAILURES", 30)
DMS_IP_THROTTLE_WINDOW_SECONDS = env_int("DMS_IP_THROTTLE_WINDOW_SECONDS", 900)

# Password maximum age in days; 0 turns it off. The importer asked for 90; OWASP ASVS and
# NIST 800-63B advise against periodic rotation, so it is a setting (docs/security.md).
DMS_PASSWORD_MAX_AGE_DAYS = env_int("DMS_PASSWORD_MAX_AGE_DAYS", 90)
# API tokens stop working this many days after they were issued (0 = never); a new one is issued
# from a verified browser session (POST /api/auth/token/).
DMS_API_TOKEN_MAX_AGE_DAYS = env_int("DMS_API_TOKEN_MAX_AGE_DAYS", 30)

# KPI rollup: dealer chunks computed at once, each on its own database connection (PostgreSQL
# then works on that many cores). Inside a transaction (tests) it runs one chunk at a time.
KPI_ROLLUP_JOBS = env_int("DMS_KPI_ROLLUP_JOBS", 2)

# KPI red/amber/green: percent of the plan due so far (pro rata) a dealer must reach.
KPI_RAG_THRESHOLDS = {
    "green": env_int("DMS_KPI_GREEN_PERCENT", 100),
    "amber": env_int("DMS_KPI_AMBER_PERCENT", 90),
}

# KPI pack exports (reports/exports): files of finished jobs are deleted after this many days
# (0 keeps them); a pending/running job silent for this many minutes is failed (0: never).
DMS_EXPORT_KEEP_DAYS = env_int("DMS_EXPORT_KEEP_DAYS", 7)
DMS_EXPORT_STALE_MINUTES = env_int("DMS_EXPORT_STALE_MINUTES", 30)

DMS_PASSWORD_HISTORY = 5

# Uploaded files (imports, attachments) live under MEDIA_ROOT with generated names; they are never
# served from there directly (no MEDIA_URL route): views read them after checking access.
MEDIA_ROOT = Path(os.environ.get("DMS_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Strict imports of HQ data (dms/imports): the largest file accepted, the errors and diff lines
# kept per job (the counts are always complete).
DMS_IMPORT_MAX_BYTES = env_int("DMS_IMPORT_MAX_BYTES", 30 * 1024 * 1024)
DMS_IMPORT_ERRORS_KEPT = env_int("DMS_IMPORT_ERRORS_KEPT", 5000)
DMS_IMPORT_CHANGES_KEPT = env_int("DMS_IMPORT_CHANGES_KEPT", 20000)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("DMS_SESSION_IDLE_SECONDS", 30 * 60)  # idle timeout
SESSION_SAVE_EVERY_REQUEST = True  # each request pushes the idle deadline forward ...
# ... but an unchanged session is written at most once per DMS_SESSION_RENEW_SECONDS (so the idle
# timeout is SESSION_COOKIE_AGE after the last request, up to that much earlier, never later).
DMS_SESSION_RENEW_SECONDS = env_int("DMS_SESSION_RENEW_SECONDS", 60)
DMS_SESSION_ABSOLUTE_SECONDS = env_int("DMS_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS (production, behind the TLS proxy): secure-only cookies, redirect, HSTS. The
# local demo runs with DEBUG off but over plain http on 127.0.0.1, so it sets DMS_HTTPS=0.
DMS_HTTPS = env_bool("DMS_HTTPS", not DEBUG and not TESTING)

# `AND a.dealer_id = b.dealer_id` in every ORM join between tenant tables (TenantForeignKey):
# what Citus needs to push a join down to one shard. On one PostgreSQL server it changes no
# result (the composite keys already keep both rows in one dealer) but misleads the planner:
# it multiplies the two conditions' selectivities, and the manager's lead list went from an
# ordered index scan (2 ms) to a hash join and sort (50 ms) on the bench network. So: on for a
# Citus cluster (DMS_TENANT_JOINS=1, scripts/citus.sh sets it) and for the test suite, whose
# every statement is checked for it (tests/conftest.py); off on plain PostgreSQL.
DMS_TENANT_JOINS = env_bool("DMS_TENANT_JOINS", TESTING)
if DMS_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

OTP_TOTP_ISSUER = "Aurora DMS"
TWO_FACTOR_PATCH_ADMIN = False

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"  # stored and computed in UTC; shown in the dealer's zone (dealers.clock)
USE_I18N = True
USE_TZ = True
# One date and time format per language, 24-hour clock (dms/formats/).
FORMAT_MODULE_PATH = ["dms.formats"]
# The importer's own zone: the zone of HQ readers (they belong to no dealer) on pages that are not
# one dealer's; rows of a dealer in another zone name theirs (dealers.clock.reader_zone).
DMS_IMPORTER_TIME_ZONE = os.environ.get("DMS_IMPORTER_TIME_ZONE", "Europe/Berlin")

# --- static -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- uploaded files -------------------------------------------------------------------------------
# Never served by the web server as they are: every file is handed out by a view that checks who
# may have it (e.g. bulletin attachments). Not under static/ nor under any served URL.
MEDIA_ROOT = Path(os.environ.get("DMS_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"  # unused: no URL serves MEDIA_ROOT directly
# Bulletin attachments: at most this many bytes per file (default 10 MB).
DMS_BULLETIN_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("DMS_BULLETIN_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
)

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a bad token then answers 401 with a WWW-Authenticate header.
        "dms.accounts.api_auth.ActiveUserTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "dms.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    # django-filter, refusing NUL characters in query strings (PostgreSQL cannot hold them).
    "DEFAULT_FILTER_BACKENDS": ["dms.api.filters.NulFreeFilterBackend"],
    # DRF's parsers, refusing NUL characters anywhere in a body: one 400 for every field.
    "DEFAULT_PARSER_CLASSES": [
        "dms.api.parsers.NulFreeJSONParser",
        "dms.api.parsers.NulFreeFormParser",
        "dms.api.parsers.NulFreeMultiPartParser",
    ],
    # drf-spectacular's, declaring every operation's error answers (dms/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "dms.api.schema.AutoSchema",
    # Decimals (money) are strings in answers, and the schema says so: no float rounding.
    "COERCE_DECIMAL_TO_STRING": True,
    # Anonymous callers are keyed by dms.security.ip.client_ip (trusted proxies), as the login is.
    "DEFAULT_THROTTLE_CLASSES": ["dms.security.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "2000/hour", "login": "20/minute"},
}
# Swagger UI's files come from drf-spectacular-sidecar (a pinned dependency), never a CDN.
INSTALLED_APPS.append("drf_spectacular_sidecar")
SPECTACULAR_SETTINGS = {
    "TITLE": "Aurora DMS API",
    "DESCRIPTION": "Dealer Management System API. Every object is scoped to the caller's dealer(s).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dms.api.schema.blank_as_empty_string",
    ],
    # Two choice sets share the field name "kind": name their enums explicitly.
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "leads.models.Customer.Kind",
        "VisitKindEnum": "leads.models.Visit.Kind",
        "PaymentKindEnum": "sales.models.Payment.Kind",
        "PartsOrderKindEnum": "inventory.orders.models.PartsOrder.Kind",
        "PartsOrderStateEnum": "inventory.orders.models.PartsOrder.State",
        "PartsShipmentStateEnum": "inventory.orders.models.PartsShipment.State",
    },
    # The schema and docs are for logged-in users (session or token), not the open network.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Never a CDN (closed networks): Swagger UI and Redoc from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- email --------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or TESTING
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dms@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

DMS_ONBOARDING_WEEKS = 6
DMS_PASSWORD_EXPIRY_WARNING = timedelta(days=7)

# Quotes: a discount above this percentage of the list price waits for a sales manager's approval
# before the quote can be sent or accepted (sales.services.decide_discount).
DMS_DISCOUNT_APPROVAL_PERCENT = float(os.environ.get("DMS_DISCOUNT_APPROVAL_PERCENT", "5"))
