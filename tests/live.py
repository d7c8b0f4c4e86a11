"""A live stack for integration and browser tests: a real Celery worker and a real Daphne
server, as subprocesses, sharing the test database and a real Redis with the test process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "artifacts"


def database_url() -> str:
    """The URL of the database the test run uses (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db.get('PORT') or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        CHANNELS_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        REELSMITH_TORCH_THREADS="1",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flush_broker() -> None:
    """Start from an empty queue: messages from an earlier run would run against this one."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


class Process:
    """A child process whose output goes to a log file under artifacts/."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.name = name
        self.log_path = ARTIFACTS / f"{name}.log"
        self.log: IO[bytes] = self.log_path.open("ab")
        self.log_start = self.log.tell()  # the log is appended to: this process's part starts here
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def own_log_text(self) -> str:
        """What this process (not an earlier one with the same log) wrote."""
        with self.log_path.open("rb") as log:
            log.seek(self.log_start)
            return log.read().decode(errors="replace")

    def started(self) -> bool:
        """Whether this process (not an earlier one with the same log) said it is ready."""
        return "ready." in self.own_log_text()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


JOB_QUEUES = "cpu,gpu-small,gpu-large"


def start_worker(
    name: str = "itest",
    *,
    app: str = "studio",
    queues: str = JOB_QUEUES,
    pool: str = "solo",
    **env: str,
) -> Process:
    """A real worker on every job queue, or on ``queues`` in ``pool`` (the webhooks worker:
    "webhooks", "threads"); ``app`` may name a test module that wraps its engine."""
    worker = Process(
        f"worker-{name}",
        [
            str(BIN / "celery"),
            "-A",
            app,
            "worker",
            "-P",
            pool,
            "--prefetch-multiplier",
            "1",
            "-Q",
            queues,
            "-n",
            f"{name}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        child_env(**env),
    )
    wait_for(
        worker.started,
        timeout=90,
        what=f"worker {name} to start",
        proc=worker,
    )
    return worker


def start_sweeper(**env: str) -> Process:
    """The control worker, with beat inside it: it runs the stalled-job sweep on the control
    queue every JOB_SWEEP_SECONDS (as the Procfile's beat and control processes do)."""
    ARTIFACTS.mkdir(exist_ok=True)
    sweeper = Process(
        "sweeper",
        [
            str(BIN / "celery"),
            *("-A", "studio", "worker", "-B", "-P", "solo", "-Q", "control"),
            *("-s", str(ARTIFACTS / "celerybeat-schedule"), "-n", "sweeper@%h"),
            *("--loglevel", "INFO", "--without-gossip", "--without-mingle"),
        ],
        child_env(**env),
    )
    wait_for(sweeper.started, timeout=90, what="the sweeper", proc=sweeper)
    return sweeper


def start_server(port: int, name: str = "daphne", **env: str) -> Process:
    server = Process(
        name,
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "studio.asgi:application"],
        child_env(**env),
    )
    wait_for(lambda: _port_open(port), timeout=60, what="daphne to listen", proc=server)
    return server


def start_proxy(port: int, upstream_ports: list[int], name: str = "proxy") -> Process:
    """nginx with the compose file's configuration (deploy/nginx.conf), listening on ``port``
    and spreading over the Daphnes on ``upstream_ports`` instead of the `web` service."""
    ARTIFACTS.mkdir(exist_ok=True)
    config = (ROOT / "deploy/nginx.conf").read_text()
    servers = "".join(f"server 127.0.0.1:{p};\n        " for p in upstream_ports)
    assert "server web:8000;" in config and "listen 8000;" in config
    config = config.replace("server web:8000;", servers.rstrip()).replace(
        "listen 8000;", f"listen 127.0.0.1:{port};"
    )
    path = ARTIFACTS / f"{name}.conf"
    path.write_text(config)
    proxy = Process(
        name,
        [
            shutil.which("nginx") or "/usr/sbin/nginx",
            *("-c", str(path), "-p", str(ARTIFACTS)),
            *("-g", f"daemon off; pid {ARTIFACTS / name}.pid; error_log stderr warn;"),
        ],
        child_env(),
    )
    wait_for(lambda: _port_open(port), timeout=30, what="nginx to listen", proc=proxy)
    return proxy


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(check, *, timeout: float, what: str, proc: Process | None = None, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if proc is not None and proc.proc.poll() is not None:
            raise RuntimeError(
                f"{proc.name} exited while waiting for {what}:\n{proc.log_text()[-3000:]}"
            )
        time.sleep(every)
    tail = proc.log_text()[-3000:] if proc else ""
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}\n{tail}")


@contextmanager
def running(*processes: Process) -> Iterator[None]:
    try:
        yield
    finally:
        for p in processes:
            p.stop()
