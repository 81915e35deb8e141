"""Django settings for Dangan. Everything deployment-specific comes from dangan.config."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from dangan import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()
_SECRETS = config.load_secrets(DATA_DIR)

SECRET_KEY = _SECRETS["secret_key"]
FIELD_ENCRYPTION_KEY = _SECRETS["field_key"]
LOOKUP_HASH_KEY = _SECRETS["lookup_key"]
AUDIT_CHAIN_KEY = _SECRETS["audit_key"]
# No keys file: the keys above are unusable placeholders, and everything but `dangan init`
# on an empty database stops (dangan.backups.gate).
DANGAN_KEYS_MISSING = "missing" in _SECRETS

DEBUG = os.environ.get("DANGAN_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("DANGAN_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DANGAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the form widgets' own templates, for FORM_RENDERER below
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "dangan.core",
    "dangan.accounts",
    "dangan.audit",
    "dangan.customers",
    "dangan.archives",
    "dangan.documents",
    "dangan.circulation",
    "dangan.handover",
    "dangan.intake",
    "dangan.changes",
    "dangan.search",
    "dangan.importer",
    "dangan.service",
    "dangan.home",
    "dangan.locations",
    "dangan.paper",
    "dangan.disposal",
    "dangan.backups",
    "dangan.confirmations",
    "dangan.rules",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangan.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dangan.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dangan.core.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dangan.core.middleware.FragmentMessagesMiddleware",
    "dangan.audit.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "dangan.urls"
WSGI_APPLICATION = "dangan.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Form widgets render through the project's templates, so that dangan/templates can
# replace a widget's (django/forms/widgets/select.html: options without an include each);
# the common widgets are written in Python by dangan.core.widgets, the same markup.
FORM_RENDERER = "dangan.core.widgets.Renderer"

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
                "dangan.accounts.context_processors.navigation",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = os.environ.get("DANGAN_DATABASE_URL", "")
    if url:
        db: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
        # Django's backends with the audit trail's commit (dangan.core.db.base).
        if db["ENGINE"] == "django.db.backends.postgresql":
            db["ENGINE"] = "dangan.core.db.postgresql"
        return db
    return {
        "ENGINE": "dangan.core.db.sqlite3",
        "NAME": str(DATA_DIR / "dangan.sqlite3"),
        "OPTIONS": {
            # WAL lets readers run beside the single writer; IMMEDIATE makes every atomic
            # block take the write lock up front, so concurrent allocations queue instead
            # of failing with "database is locked" half-way through.
            # A 64 MiB page cache per connection (SQLite's default is 2 MiB), kept across
            # requests by CONN_MAX_AGE: the upper levels of the big indexes stay in memory.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
                # Deleted content is overwritten, not left in free pages (ID numbers of
                # a removed row must not stay readable in the file, #22).
                " PRAGMA secure_delete=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Length and character classes (STANDARDS 39: ≥ 8 characters, 3 of 4 classes); it
    # replaces Django's MinimumLengthValidator so a short password gets one message, not two.
    {
        "NAME": "dangan.accounts.security.PasswordComplexityValidator",
        "OPTIONS": {
            "min_length": config.env_int("DANGAN_PASSWORD_MIN_LENGTH", 8),
            "min_classes": config.env_int("DANGAN_PASSWORD_MIN_CLASSES", 3),
        },
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login lockout (STANDARDS 40): this many failures within the window lock the account,
# and separately DANGAN_LOCKOUT_IP_ATTEMPTS (at least 20) failures from one client
# address lock that address, for DANGAN_LOCKOUT_MINUTES.
DANGAN_LOCKOUT_ATTEMPTS = config.env_int("DANGAN_LOCKOUT_ATTEMPTS", 5)
DANGAN_LOCKOUT_IP_ATTEMPTS = config.env_int("DANGAN_LOCKOUT_IP_ATTEMPTS", 30)
DANGAN_LOCKOUT_WINDOW_MINUTES = config.env_int("DANGAN_LOCKOUT_WINDOW_MINUTES", 15)
DANGAN_LOCKOUT_MINUTES = config.env_int("DANGAN_LOCKOUT_MINUTES", 15)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DANGAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing directory
MEDIA_ROOT = DATA_DIR / "files"


def _storages() -> dict[str, dict[str, object]]:
    static: dict[str, object] = {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    }
    if DEBUG or os.environ.get("DANGAN_STATIC_PLAIN") == "1":
        static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    kind = os.environ.get("DANGAN_STORAGE", "local")
    if kind.startswith("s3://"):
        bucket = kind.removeprefix("s3://").strip("/")
        files: dict[str, object] = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": os.environ.get("DANGAN_S3_ENDPOINT_URL"),
                "file_overwrite": False,
                "default_acl": "private",
            },
        }
    else:
        files = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
        }
    return {"default": files, "staticfiles": static}


STORAGES = _storages()

# Upload limits (bytes). Files over the limit are refused with a clear message.
DANGAN_MAX_UPLOAD_BYTES = config.env_int("DANGAN_MAX_UPLOAD_MB", 50) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Nothing readable by other local users (#22): stored files 0600, folders 0700 (and the
# processes run with umask 077: dangan.cli, dangan.wsgi). Uploads larger than
# FILE_UPLOAD_MAX_MEMORY_SIZE are spooled in the data dir, where `dangan verify` finds
# what a killed request left behind.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp")
(DATA_DIR / "tmp").mkdir(mode=0o700, exist_ok=True)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Audit entries are kept permanently unless a retention is set (at least 183 days,
# 网络安全法 Art. 21); `dangan audit prune` applies it.
DANGAN_AUDIT_RETENTION_DAYS = config.env_int("DANGAN_AUDIT_RETENTION_DAYS", 0)

SESSION_COOKIE_AGE = config.env_int("DANGAN_SESSION_IDLE_MINUTES", 30) * 60
# Idle timeout: dangan.core.middleware.IdleTimeoutMiddleware pushes the expiry forward at
# most once a minute, instead of a session write on every request.
SESSION_SAVE_EVERY_REQUEST = False
# Django's database sessions and model backend, their per-request reads compiled once.
SESSION_ENGINE = "dangan.accounts.sessions"
AUTHENTICATION_BACKENDS = ["dangan.accounts.backends.ModelBackend"]
DANGAN_SESSION_TOUCH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
# Behind HTTPS: DANGAN_SECURE_COOKIES=1 sends the session, CSRF and language cookies only
# over HTTPS; DANGAN_HSTS_SECONDS tells browsers to use nothing but HTTPS for that long.
DANGAN_SECURE_COOKIES = os.environ.get("DANGAN_SECURE_COOKIES", "") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = DANGAN_SECURE_COOKIES
DANGAN_HSTS_SECONDS = config.env_int("DANGAN_HSTS_SECONDS", 0)
# Every page's Content-Security-Policy (dangan.core.middleware.SecurityHeadersMiddleware):
# scripts only from this server (no inline script, no eval). Inline style attributes are
# still allowed. DANGAN_CSP replaces it; an empty value sends none.
DANGAN_CSP = os.environ.get(
    "DANGAN_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# The reverse proxies in front (addresses or CIDRs, comma-separated): the client address
# recorded and rate-limited is read from X-Forwarded-For from the right, skipping these.
# DANGAN_TRUST_X_FORWARDED_FOR=1 (older) trusts one proxy whatever its address.
DANGAN_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("DANGAN_TRUSTED_PROXIES", "").split(",") if p.strip()
]
DANGAN_TRUST_X_FORWARDED_FOR = os.environ.get("DANGAN_TRUST_X_FORWARDED_FOR", "") == "1"
CSRF_FAILURE_VIEW = "dangan.core.errorpages.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dangan.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "dangan.core.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "dangan.core.http.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Dangan API",
    "DESCRIPTION": "客户档案管理系统 REST API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Use of the archive (SPEC C4): the longest loan, renewals included, in days; and whether
# secret and higher dossiers must come back (and view grants end) the same day.
DANGAN_LOAN_MAX_DAYS = config.env_int("DANGAN_LOAN_MAX_DAYS", 30)
DANGAN_SENSITIVE_LOAN_SAME_DAY = os.environ.get("DANGAN_SENSITIVE_LOAN_SAME_DAY", "1") != "0"

# Reminders go by e-mail only when a mail server is configured (in-app notifications always).
EMAIL_HOST = os.environ.get("DANGAN_EMAIL_HOST", "")
EMAIL_PORT = config.env_int("DANGAN_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = os.environ.get("DANGAN_EMAIL_FROM", "dangan@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DANGAN_LOG_LEVEL", "WARNING")},
    # The worker's periodic line with the audit chain's head: the log carries it, whatever
    # the log level (see dangan.cli._log_chain_head).
    "loggers": {"dangan.audit.anchor": {"level": "INFO"}},
}
