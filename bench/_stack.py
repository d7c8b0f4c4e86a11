"""A throwaway live stack for benchmarks: its own database, a warm Celery worker and a Daphne
server, on the local Redis. Nothing of the developer's own database is touched.

The database is a new SQLite file, or, with BENCH_POSTGRES set to a server's URL (for example
postgres://postgres@127.0.0.1:5432), a new PostgreSQL database on that server, as in
production; it is dropped when the benchmark ends."""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = Path(tempfile.mkdtemp(prefix="reelsmith-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{_tmp / 'bench.sqlite3'}"
if os.environ.get("BENCH_POSTGRES"):
    import psycopg

    _server = os.environ["BENCH_POSTGRES"].rstrip("/").replace("postgres://", "postgresql://")
    _name = f"reelsmith_bench_{os.getpid()}"
    with psycopg.connect(f"{_server}/postgres", autocommit=True) as _admin:
        _admin.execute(f'CREATE DATABASE "{_name}"')
    os.environ["DATABASE_URL"] = f"{_server}/{_name}".replace("postgresql://", "postgres://")

    @atexit.register
    def _drop() -> None:
        from django import db

        db.connections.close_all()
        with psycopg.connect(f"{_server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{_name}" WITH (FORCE)')


os.environ["MEDIA_ROOT"] = str(_tmp / "media")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("CHANNELS_PREFIX", "reelsmith-bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from tests import live  # noqa: E402


@contextmanager
def stack() -> Iterator[tuple[str, Client, Any]]:
    """Yield (server URL, a signed-in test client, the workspace)."""
    from django.contrib.auth.models import User

    from studio import services

    call_command("migrate", verbosity=0)
    live.flush_broker()
    port = live.free_port()
    server = live.start_server(port)
    worker = live.start_worker("bench")
    try:
        user = User.objects.create_user(username="bench", password="a-long-passphrase")
        workspace = services.workspaces.workspace_ensure_personal(user=user)
        client = Client()
        client.force_login(user)
        yield f"http://127.0.0.1:{port}", client, workspace
    finally:
        worker.stop()
        server.stop()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def now() -> float:
    return time.monotonic()
