"""Settings for Phòng họp số, read from the environment (see the README's configuration table)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import dj_database_url

from config.env import env, envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env("PHONGHOP_DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", False)
# Production mode refuses to start without an explicit SECRET_KEY; development keeps a generated
# one under the data directory so sessions survive restarts.
PRODUCTION = envbool("PHONGHOP_PRODUCTION", False)


def _secret_key() -> str:
    value = env("SECRET_KEY")
    if value:
        return value
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when PHONGHOP_PRODUCTION is on")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "ninja",  # its Swagger UI from our own static files (without it: a CDN and an inline script)
    "accounts",
    "meetings",
    "meetings.documents",
    "meetings.voting",
    "meetings.minutes",
    "meetings.tasks",
    "huey.contrib.djhuey",
    "meetings.reports",
    "meetings.consultation",
    "realtime",
    "media",
    "frontend",
    "operations",
]

MIDDLEWARE = [
    "operations.logs.RequestIds",
    "django.middleware.security.SecurityMiddleware",
    "config.security_headers.SecurityHeaders",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "frontend.language.VietnameseByDefaultMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "frontend.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'phonghop.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql") and not DATABASES["default"]["CONN_MAX_AGE"]:
    # A connection pool per process (psycopg_pool): Channels closes the connection after every database
    # call, which without a pool means a new PostgreSQL connection each time (3-4 ms, and most of the
    # cost of a mass reconnect; bench/fanout, bench/vote). Health checks hand out only live connections
    # after a database restart.
    if envbool("DATABASE_POOL", True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": envint("DATABASE_POOL_MIN_SIZE", 2),
            "max_size": envint("DATABASE_POOL_MAX_SIZE", 10),
            "timeout": envint("DATABASE_POOL_TIMEOUT", 30),
        }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL and a busy timeout let the one-process default take concurrent writes without "database is locked".
    # IMMEDIATE: a transaction takes the write lock when it begins. A deferred one that read first and
    # then writes fails at once ("database is locked", SQLITE_BUSY_SNAPSHOT) when another thread wrote in
    # between (the live tally, the meeting-book builder); an immediate one waits up to the timeout instead.
    # PHONGHOP_SQLITE_WAL=0: the rollback journal instead (docs/operations.md, "SQLite's journal"). Whatever
    # runs beside the server must never open() and close() the live database file in the server's process:
    # that drops the process's SQLite locks (sqlite.org/howtocorrupt.html, 2.2).
    journal = "PRAGMA journal_mode=WAL; " if envbool("PHONGHOP_SQLITE_WAL", True) else ""
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": journal + "PRAGMA synchronous=NORMAL;"}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

REDIS_URL = env("REDIS_URL")
CHANNEL_PREFIX = env("CHANNEL_PREFIX") or "phonghop"  # Redis keys of this deployment (channel layer, media workers)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNEL_PREFIX") or "phonghop"},
        }
    }
else:
    # One process: the fan-out hub (realtime/fanout.py) reads one channel for all local sockets, so a
    # burst of events must fit in it; the default capacity of 100 would drop silently.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 10000}}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if envbool("PHONGHOP_FAST_PASSWORD_HASHER", False):
    # Tests only: key stretching costs seconds per persona and proves nothing about meetings.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "frontend" / "locale"]
TIME_ZONE = env("TIME_ZONE") or "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "files"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = DEBUG

# Cookies: never readable by scripts (the session), sent only over HTTPS in production, not on cross-site
# sub-requests. The CSRF cookie stays readable: the page scripts send it back as X-CSRFToken.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind the TLS proxy (docs/operations.md): it says "https" in X-Forwarded-Proto, so Django knows the request
# was secure and sends HSTS (production: a year; never on plain HTTP). Only when the proxy always sets the header.
if envbool("PHONGHOP_TLS_PROXY", PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("PHONGHOP_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("PHONGHOP_HSTS_SUBDOMAINS", False)

EMAIL_BACKEND = env("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if env("EMAIL_HOST") else
    "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env("EMAIL_HOST") or "localhost"
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL") or "phonghop@localhost"

# Domain settings (see README).
# The changes to Daphne's WebSocket send path (realtime/daphne_tuning.py); off only to measure without them.
PHONGHOP_DAPHNE_TUNING = envbool("PHONGHOP_DAPHNE_TUNING", True)
# Bytes a WebSocket may leave unread before it is dropped (it reconnects and resyncs); with the tuning only.
PHONGHOP_SOCKET_UNSENT_LIMIT = envint("PHONGHOP_SOCKET_UNSENT_LIMIT", 4 * 1024 * 1024)
# Ballots that reach a server process together are cast in one transaction (meetings/voting/batch.py); off (0)
# only to measure a ballot per transaction, the path before, in the same run (bench/vote.py --compare).
PHONGHOP_BALLOT_BATCH = envbool("PHONGHOP_BALLOT_BATCH", True)
# Bytes a request body may have, except the document uploads (the PDF cap plus 1 MiB): larger is refused
# (413) before it is read (config/request_limits.py). Django's own in-memory cap stays above it.
PHONGHOP_MAX_REQUEST_BYTES = envint("PHONGHOP_MAX_REQUEST_BYTES", 1024 * 1024)
# The PDF children's confinement (meetings/pdf/confine.py: namespaces, Landlock, seccomp); off only on a
# kernel that misbehaves with it.
PHONGHOP_PDF_CONFINE = envbool("PHONGHOP_PDF_CONFINE", True)
PHONGHOP_ALLOW_CLASSIFIED = envbool("PHONGHOP_ALLOW_CLASSIFIED", False)
PHONGHOP_INVITATION_LEAD_DAYS = envint("PHONGHOP_INVITATION_LEAD_DAYS", 3)
# Government-announced extra days off and swapped working Saturdays, ISO dates, comma separated.
PHONGHOP_EXTRA_HOLIDAYS = envlist("PHONGHOP_EXTRA_HOLIDAYS", [])
PHONGHOP_EXTRA_WORKDAYS = envlist("PHONGHOP_EXTRA_WORKDAYS", [])
# After the meeting (meetings/minutes, meetings/tasks): the conclusion notice is due this many working
# days after the meeting (QĐ 45/2018); the signer of PAdES signatures is a PKCS#12 file and its passphrase
# (none set: documents are not signed).
PHONGHOP_NOTICE_WORKING_DAYS = envint("PHONGHOP_NOTICE_WORKING_DAYS", 5)
# Task reminders: this many days before a deadline, and once a task is overdue (meetings/tasks/reminders.py).
PHONGHOP_TASK_REMIND_DAYS = envint("PHONGHOP_TASK_REMIND_DAYS", 2)
PHONGHOP_SIGNER_PKCS12 = env("PHONGHOP_SIGNER_PKCS12") or ""
PHONGHOP_SIGNER_PASSPHRASE = env("PHONGHOP_SIGNER_PASSPHRASE") or ""
# Certificates (PEM or DER files, comma separated) whose signatures the product trusts when it verifies.
PHONGHOP_SIGNER_TRUST_ROOTS = envlist("PHONGHOP_SIGNER_TRUST_ROOTS", [])

# Background and periodic jobs (Huey): the embedded default keeps its queue in a SQLite file of the data
# directory; with REDIS_URL, in Redis, so every process shares one queue and one lock per periodic job.
# `phonghop start` runs a consumer in its own process; scale-out runs `phonghop manage run_huey`.
HUEY = {
    "name": f"{env('CHANNEL_PREFIX') or 'phonghop'}-jobs",
    "immediate": False,
    **({"huey_class": "huey.RedisHuey", "connection": {"url": REDIS_URL}} if REDIS_URL else
       {"huey_class": "huey.SqliteHuey", "connection": {"filename": str(DATA_DIR / "jobs.sqlite3")}}),
    "consumer": {"workers": 1, "worker_type": "thread", "periodic": True},
}

# Signing in (accounts/): API tokens expire after this many days; after LOGIN_MAX_FAILURES wrong
# passwords for one user name from one address within LOGIN_WINDOW_MINUTES, that pair is refused (429)
# until the oldest of those failures is older than the window.
PHONGHOP_API_TOKEN_DAYS = envint("PHONGHOP_API_TOKEN_DAYS", 30)
PHONGHOP_LOGIN_MAX_FAILURES = envint("PHONGHOP_LOGIN_MAX_FAILURES", 5)
PHONGHOP_LOGIN_WINDOW_MINUTES = envint("PHONGHOP_LOGIN_WINDOW_MINUTES", 15)

# Video briefings (media/, docs/architecture.md "Media"). ICE servers as JSON, e.g.
# [{"urls": "turn:10.0.0.5:3478", "username": "u", "credential": "p"}]; none by default (closed networks).
PHONGHOP_ICE_SERVERS = json.loads(env("PHONGHOP_ICE_SERVERS") or "[]")
PHONGHOP_MEDIA_MAX_VIDEOS = envint("PHONGHOP_MEDIA_MAX_VIDEOS", 6)  # videos one site receives at most
PHONGHOP_MEDIA_MAX_AUDIO = envint("PHONGHOP_MEDIA_MAX_AUDIO", 4)  # sounds one site receives at most
PHONGHOP_MEDIA_VIDEO_CODEC = (env("PHONGHOP_MEDIA_VIDEO_CODEC") or "VP8").upper()  # VP8 or H264
PHONGHOP_MEDIA_BACKEND = env("PHONGHOP_MEDIA_BACKEND") or "thread"  # thread | loop | workers | janus
PHONGHOP_MEDIA_UDP_PORTS = env("PHONGHOP_MEDIA_UDP_PORTS") or ""  # e.g. 40000-40999; empty: any free port
PHONGHOP_MEDIA_WORKERS = envlist("PHONGHOP_MEDIA_WORKERS", [])  # names of `phonghop mediaworker --name`
# Where a media worker listens for the other workers of a briefing spread over several (media/trunk.py):
# a private address of the media network, never a public one.
PHONGHOP_MEDIA_TRUNK_HOST = env("PHONGHOP_MEDIA_TRUNK_HOST") or "127.0.0.1"
PHONGHOP_MEDIA_TRUNK_PORT = envint("PHONGHOP_MEDIA_TRUNK_PORT", 0)  # 0: any free port (it is announced in Redis)
# The Janus backend (media/janus/, docs/operations.md "Janus"): the HTTP API of one or more Janus instances on a
# private address (e.g. http://10.0.0.5:8088/janus), its API secret (from the environment only), and where
# Janus writes recordings (a path on the Janus machine; default MEDIA_ROOT/recordings).
PHONGHOP_JANUS_URL = envlist("PHONGHOP_JANUS_URL", [])
PHONGHOP_JANUS_API_SECRET = env("PHONGHOP_JANUS_API_SECRET") or ""
PHONGHOP_JANUS_REC_DIR = env("PHONGHOP_JANUS_REC_DIR") or ""

# Operations (operations/): /metrics is for a scraper with this token, or (without one) for programs on
# this machine talking to Daphne directly; logs are JSON lines with request and meeting ids in production.
PHONGHOP_METRICS_TOKEN = env("PHONGHOP_METRICS_TOKEN") or ""
# Days after a meeting ends before its record is written to an archive file and its operational data cleared
# (meetings/record/retention.py); 0 keeps everything live.
PHONGHOP_RETENTION_DAYS = envint("PHONGHOP_RETENTION_DAYS", 0)
LOG_FORMAT = (env("LOG_FORMAT") or ("json" if PRODUCTION else "text")).lower()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "operations.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", **({"formatter": "json"} if LOG_FORMAT == "json" else {})},
        "error_counter": {"()": "operations.metrics.ErrorCounter"},
    },
    "root": {"handlers": ["console", "error_counter"], "level": env("LOG_LEVEL") or "INFO"},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
