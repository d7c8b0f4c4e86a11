"""One settings module, driven by the environment.

The defaults run on a laptop: SQLite, media on local disk, Redis on localhost. Production
differs only by environment variables (see README.md and docker-compose.yml).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import environ

from generation.engines import settings_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

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
    "studio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so the test worker and server processes share the test database;
    # the timeout lets a worker's write wait for the web process's instead of failing.
    # One file per test run, so two runs side by side do not delete each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
    # Transactions take SQLite's write lock when they begin, so a worker and the web process
    # queue for it (up to the timeout) instead of one failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
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

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [env.str("CHANNELS_REDIS_URL", default=REDIS_URL)],
            "prefix": env.str("CHANNELS_PREFIX", default="reelsmith"),
        },
    }
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
CELERY_BEAT_SCHEDULE = {
    "recover-stalled-jobs": {"task": "studio.tasks.recover_stalled_jobs", "schedule": 60.0},
}

# Jobs
# Batch rows that share footage are drawn and encoded this many at a time on a worker: one
# per CPU core, up to 8 (a GPU node's cores encode rows while its GPU makes the next footage).
ROW_THREADS = env.int("ROW_THREADS", default=min(8, os.cpu_count() or 1))
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=90)  # renewed while the job makes progress
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=2)
JOB_PROGRESS_INTERVAL = env.float(
    "JOB_PROGRESS_INTERVAL", default=0.25
)  # seconds between row writes
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

# Engines: the operator's model folders, from the environment (REELSMITH_WAN21_T2V_MODEL,
# REELSMITH_MODELS, REELSMITH_DEVICE, REELSMITH_MAX_LOADED_MODELS; see
# generation.engines.settings_from_env). A mistyped entry stops start-up with the entry named.
ENGINE_SETTINGS = settings_from_env(os.environ)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# Static files are few; serving them straight from their folders spares a collectstatic step.
WHITENOISE_USE_FINDERS = True
