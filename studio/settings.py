"""One settings module, driven by the environment.

The defaults run on a laptop: SQLite, media on local disk, Redis on localhost. Production
differs only by environment variables (see README.md and docker-compose.yml).
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from generation.engines import settings_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)


class _Env(environ.Env):
    """django-environ without its "$NAME" references: a value that starts with "$" (a generated
    secret, a password) is taken as it is, not as the name of another variable."""

    def get_value(
        self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, **options: Any
    ) -> Any:
        # (a default may be another setting's value, which may start with "$" too)
        raw = self.ENVIRON.get(f"{self.prefix}{var}", default)
        if isinstance(raw, str) and raw.startswith("$"):
            return self.parse_value(raw, cast) if cast is not None else raw
        return super().get_value(var, cast=cast, default=default, **options)


env = _Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

# On by default so a checkout runs on a laptop as it is; production sets DJANGO_DEBUG=0 (the
# Docker image does), and then the settings below are secure unless the environment says not.
DEBUG = env.bool("DJANGO_DEBUG", default=True)
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105  # refused below
# Read as it is, not through django-environ, which takes a value starting with "$" for the name
# of another variable: one key in 50 that Django's get_random_secret_key makes.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    # Sessions, password-reset links and CSRF tokens signed with a published key are forgeable.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set: with DJANGO_DEBUG off the studio will not run on the "
        "development key. Set it to 50 or more random characters (see README, Production)."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS. Production defaults: secure cookies, redirect to HTTPS, a year of HSTS, and the TLS
# proxy's X-Forwarded-Proto trusted (the proxy must set it, overwriting the client's).
# Sessions are read from the cache (Redis) and written through to the database: a page no longer
# costs a database query for the session, and a Redis restart loses no one's sign-in.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
# The preload flag alone enrols nothing: the domain's owner still submits it to the lists.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
_proxy_header = env.str(
    "DJANGO_SECURE_PROXY_SSL_HEADER", default="" if DEBUG else "HTTP_X_FORWARDED_PROTO"
)
SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs' Swagger UI, served from our own static files
    "studio",
    # Last, as it asks: deletes a row's files once the deletion is committed (cascades too),
    # and a file replaced by another on save.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A request that found no free database connection in time gets 503 and Retry-After.
    "studio.middleware.PoolTimeoutMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last but one, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Innermost and sync-only: the whole chain runs in one thread (see its docstring).
    "studio.middleware.SyncChain",
]

ROOT_URLCONF = "studio.urls"
ASGI_APPLICATION = "studio.asgi.application"

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
                "studio.context_processors.workspaces",
            ],
        },
    },
]

# Form fields are drawn from Django's own Jinja2 widget templates (studio/forms/renderer.py).
FORM_RENDERER = "studio.forms.renderer.WidgetRenderer"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so the test worker and server processes share the test database;
    # the timeout lets a worker's write wait for the web process's instead of failing.
    # One file per test run, so two runs side by side do not delete each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
    # Transactions take SQLite's write lock when they begin, so a worker and the web process
    # queue for it (up to the timeout) instead of one failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=True
):
    # A pool of open connections per process. Without it every request and every WebSocket
    # handshake opened a new PostgreSQL connection: over half of a busy Daphne's time in
    # bench/load.py. Persistent connections are no answer under ASGI; a pool is.
    # Health checks: a connection is checked as it leaves the pool, so one broken by a
    # database restart is replaced instead of failing the request that drew it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
        "timeout": 10,  # seconds a request waits for a free connection before it fails
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Media never has a public URL: every file goes through a view that checks membership.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/files/"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    # S3-compatible storage in production; the files view redirects members to signed URLs.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": False,
        },
    }
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}

# Content Security Policy (django-csp): scripts, styles and everything else from the studio
# itself only, so injected markup can run nothing. Pages keep no inline script, handler or
# style attribute (json_script data blocks are not run); preview frames may be data: URLs and
# Play voice plays a blob:. Media on S3 is fetched from the bucket's origin after a redirect.
_media_origins = env.list("DJANGO_CSP_MEDIA_ORIGINS", default=[])
if STORAGES["default"]["BACKEND"].startswith("storages.") and not _media_origins:
    _endpoint = STORAGES["default"]["OPTIONS"].get("endpoint_url") or ""
    _media_origins = [_endpoint.rstrip("/")] if _endpoint else ["https://*.amazonaws.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *_media_origins],
        "media-src": [SELF, "blob:", *_media_origins],
        "connect-src": [SELF],  # 'self' covers the page's own ws:// and wss:// origin
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Redis's pub/sub (studio.channel_layer): a process subscribes once to each group one of its
# sockets is in, and a group message is one Redis message it hands to each of its sockets.
# Live messages are best effort either way: a page that reconnects gets the truth from the
# database in its snapshot. A Redis that stops answering fails a publish or subscribe after
# this many seconds.
CHANNELS_SOCKET_TIMEOUT = 5
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "studio.channel_layer.FinishingPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": env.str("CHANNELS_REDIS_URL", default=REDIS_URL),
                    "socket_timeout": CHANNELS_SOCKET_TIMEOUT,
                }
            ],
            "prefix": env.str("CHANNELS_PREFIX", default="reelsmith"),
        },
    }
}

# The shared cache (rate-limit counts, voice previews) lives in Redis so that every web
# process sees the same counts. Keys carry a prefix, so the cache can share a database with
# the broker and the channel layer without touching their keys.
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": "reelsmith-cache",
    },
    # Rendered job cards, in each process's own memory (studio/templatetags/cards.py): their
    # keys hold every value a card shows, so a process never serves a card that changed.
    "cards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "reelsmith-cards",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

# Abuse controls. Sign-ins (the login page, the admin's and anything calling authenticate)
# are counted by django-axes per username and address: after AXES_FAILURE_LIMIT failures that
# pair is locked out for the cool-off, and the lockout page says when to try again.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "studio.views.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "studio.ratelimits.client_ip"
# The header a reverse proxy puts the client's address in (e.g. HTTP_X_REAL_IP); unset, the
# peer's address is the client's.
CLIENT_IP_HEADER = env.str("DJANGO_CLIENT_IP_HEADER", default="")
# Per user (per address and per email for password resets), "count/period" (s, m, h, d).
RATE_LIMITS = {
    "jobs": env.str("RATE_LIMIT_JOBS", default="30/m"),
    "batches": env.str("RATE_LIMIT_BATCHES", default="10/m"),
    "voice": env.str("RATE_LIMIT_VOICE", default="20/m"),
    "password_reset": env.str("RATE_LIMIT_PASSWORD_RESET", default="5/h"),
    # Per address: the play beacons of share pages, which anyone may send.
    "share_plays": env.str("RATE_LIMIT_SHARE_PLAYS", default="60/m"),
}

# Share pages. Unique viewers are counted by a keyed hash of address, browser and day; the key
# is this secret (by default one derived from SECRET_KEY), so the hashes cannot be reversed by
# trying addresses without it. A visitor's plays of one link count once per this many seconds.
SHARE_VISITOR_SECRET = env.str("REELSMITH_SHARE_VISITOR_SECRET", default="")
SHARE_PLAY_DEDUPE_SECONDS = env.int("REELSMITH_SHARE_PLAY_DEDUPE_SECONDS", default=30)
# Who may frame a share link's embed page (every other page refuses to be framed).
SHARE_EMBED_ANCESTORS = env.list("REELSMITH_SHARE_EMBED_ANCESTORS", default=["*"])
VOICE_CACHE_SECONDS = env.int("VOICE_CACHE_SECONDS", default=24 * 3600)

# The REST API (studio/api/): workspace tokens (Authorization: Bearer) or the browser's
# session (with CSRF); errors as RFC 9457 problem details; cursor pagination; each token (or
# signed-in user) held to API_RATE requests, then 429 with Retry-After. Creating jobs and
# launching batches are also counted in RATE_LIMITS, with the web's own counts.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "studio.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "studio.api.access.ScopeAllows",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["studio.api.throttles.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_RATE", default="600/m")},
    "DEFAULT_PAGINATION_CLASS": "studio.api.pagination.NewestFirst",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "studio.api.problems.problem_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reelsmith API",
    "DESCRIPTION": (
        "Make videos from other systems: jobs, templates, batches, storyboards, uploads and "
        "usage of one workspace. Send `Authorization: Bearer <token>` (an owner makes tokens "
        "on the workspace's API tokens page). Errors are problem details (RFC 9457). Webhook "
        "endpoints receive the events they subscribe to, signed; `storyboard.finished` comes "
        "once every aspect of a storyboard's render is assembled."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Choices named alike elsewhere (a job's captions, a batch's transition) get names of
    # their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "StoryboardCaptionsEnum": "studio.models.Storyboard.Captions",
        "SceneTransitionEnum": "studio.models.StoryboardScene.Transition",
        "JobCaptionsEnum": ["file", "burn", "none"],
    },
}

# Celery: one worker process per GPU (-P solo), one message at a time, acknowledged only when
# the job is done, so a killed worker's message goes back to the queue. The Job row's lease
# (studio.worker.lease.job_start) makes sure a message delivered twice runs the job once.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Longer than the longest job, so Redis never hands a running job's message to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The stalled-job sweep goes to its own queue, which a small control worker consumes (Procfile,
# docker-compose.yml), so it never waits behind a batch on the job queues. A sweep not taken
# within its period is dropped: the next one does the same work.
CONTROL_QUEUE = "control"
JOB_SWEEP_SECONDS = env.float("JOB_SWEEP_SECONDS", default=60.0)
# Webhook deliveries have a queue of their own, so a receiver that is slow to answer never
# holds back a job, and a batch never holds back its own notifications.
WEBHOOK_QUEUE = "webhooks"
WEBHOOK_SWEEP_SECONDS = env.float("WEBHOOK_SWEEP_SECONDS", default=60.0)
CELERY_TASK_ROUTES = {
    "studio.tasks.recover_stalled_jobs": {"queue": CONTROL_QUEUE},
    "studio.tasks.send_due_webhooks": {"queue": CONTROL_QUEUE},
    "studio.tasks.deliver_webhook": {"queue": WEBHOOK_QUEUE},
}
CELERY_BEAT_SCHEDULE = {
    "recover-stalled-jobs": {
        "task": "studio.tasks.recover_stalled_jobs",
        "schedule": JOB_SWEEP_SECONDS,
        "options": {"queue": CONTROL_QUEUE, "expires": JOB_SWEEP_SECONDS},
    },
    "send-due-webhooks": {
        "task": "studio.tasks.send_due_webhooks",
        "schedule": WEBHOOK_SWEEP_SECONDS,
        "options": {"queue": CONTROL_QUEUE, "expires": WEBHOOK_SWEEP_SECONDS},
    },
    "sweep-leftovers": {
        "task": "studio.tasks.sweep_leftovers",
        "schedule": 3600.0,
        "options": {"queue": CONTROL_QUEUE, "expires": 3600.0},
    },
}

# Jobs
# Batch rows that share footage are drawn and encoded this many at a time on a worker: one
# per CPU core, up to 8 (a GPU node's cores encode rows while its GPU makes the next footage).
ROW_THREADS = env.int("ROW_THREADS", default=min(8, os.cpu_count() or 1))
# A storyboard's videos have this short side in pixels: 16:9 is 1280x720, 9:16 720x1280.
STORYBOARD_SHORT_SIDE = env.int("STORYBOARD_SHORT_SIDE", default=720)
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=90)  # renewed by a heartbeat every third
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=2)
# Wall-clock limit of one job on a worker, then per engine or queue ("wan2.2-a14b=7200,cpu=600");
# below CELERY_VISIBILITY_TIMEOUT, so a job is stopped before its message is handed out again.
JOB_TIME_LIMIT_SECONDS = env.int("JOB_TIME_LIMIT_SECONDS", default=3600)
JOB_TIME_LIMITS = {
    name.strip(): int(seconds)
    for name, _, seconds in (
        entry.partition("=") for entry in env.list("JOB_TIME_LIMITS", default=[]) if entry.strip()
    )
}
JOB_PROGRESS_INTERVAL = env.float(
    "JOB_PROGRESS_INTERVAL", default=0.25
)  # seconds between row writes
# Leftovers (studio.worker.cleanup): a stored file no row names is deleted once it is this old
# (files are stored a moment before their row is committed); a temporary folder nothing wrote
# to for this long belonged to a killed worker.
MEDIA_SWEEP_GRACE_SECONDS = env.int("MEDIA_SWEEP_GRACE_SECONDS", default=3600)
TEMP_FOLDER_MAX_AGE_SECONDS = env.int("TEMP_FOLDER_MAX_AGE_SECONDS", default=24 * 3600)
# Quotas per workspace (each can be overridden in the admin): jobs queued or running at once,
# and worker-seconds a calendar month (UTC) on CPU and on GPU workers.
WORKSPACE_MAX_ACTIVE_JOBS = env.int("WORKSPACE_MAX_ACTIVE_JOBS", default=1000)
WORKSPACE_CPU_SECONDS_PER_MONTH = env.int("WORKSPACE_CPU_SECONDS_PER_MONTH", default=360_000)
WORKSPACE_GPU_SECONDS_PER_MONTH = env.int("WORKSPACE_GPU_SECONDS_PER_MONTH", default=36_000)
# Fair share: a workspace has at most this many messages on a queue at once (sent and not
# finished); its other jobs wait in the database and are sent as those finish, so another
# workspace's job is never queued behind a whole batch. Set it to the number of workers on a
# queue so one workspace alone still keeps them all busy. FAIR_SHARE=0 sends every job at once.
FAIR_SHARE = env.bool("FAIR_SHARE", default=True)
FAIR_SHARE_IN_FLIGHT = env.int("FAIR_SHARE_IN_FLIGHT", default=1)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The largest request body the server reads (studio/bodylimit.py): a batch's image and CSV
# with room for the form. The reverse proxy holds the same limit (docker-compose.yml).
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=UPLOAD_MAX_BYTES + 4 * 1024 * 1024)

# Webhooks (studio/webhooks_guard.py, studio/worker/webhooks.py). Deliveries go only to public
# addresses; REELSMITH_WEBHOOK_ALLOW_HOSTS (host names or CIDR networks, comma separated) lets
# some others through, say "127.0.0.1" for a receiver on this machine, or "10.1.2.0/24".
WEBHOOK_ALLOW_HOSTS = env.list("REELSMITH_WEBHOOK_ALLOW_HOSTS", default=[])
WEBHOOK_TIMEOUT_SECONDS = 10.0  # the whole request: connect, send, answer
WEBHOOK_MAX_RESPONSE_BYTES = 4096  # of a receiver's answer, kept for the delivery log
WEBHOOK_RETRY_HOURS = 24  # retries stop this long after the first attempt

# Engines: the operator's model folders, from the environment (REELSMITH_WAN21_T2V_MODEL,
# REELSMITH_MODELS, REELSMITH_DEVICE, REELSMITH_MAX_LOADED_MODELS; see
# generation.engines.settings_from_env). A mistyped entry stops start-up with the entry named.
ENGINE_SETTINGS = settings_from_env(os.environ)
# Where a worker keeps its copies of users' style LoRAs, by content hash (studio/worker/run.py);
# not under a "reelsmith-" name, which the temporary-folder sweep would take for a dead job's.
STYLE_LORA_CACHE_DIR = env.str(
    "REELSMITH_STYLE_LORA_CACHE", default=os.path.join(tempfile.gettempdir(), "style-lora-cache")
)
# How many copies that folder keeps: the most recently used; older ones are deleted.
STYLE_LORA_CACHE_MAX_COPIES = env.int("REELSMITH_STYLE_LORA_CACHE_COPIES", default=20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Static files are few; serving them straight from their folders spares a collectstatic step.
WHITENOISE_USE_FINDERS = True
