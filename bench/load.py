"""Load: 100 members browsing their workspaces (dashboard, gallery, job pages, editor), 500
WebSockets open on the workspaces' live feeds, and jobs submitted at 20 a minute on the embedded
engine, against one Daphne, one worker and one control worker on this machine, for a bounded time.

Prints p50 / p95 page time (per page and over all pages), p95 progress latency (the worker's
emit → the socket's receive, over every progress message every socket got), errors of every
kind, and how busy each process was, so the figure says what limits it.
Targets on a 2-core machine: p95 page < 150 ms, p95 progress < 100 ms, 0 errors.

Run: .venv/bin/python bench/load.py
     BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 .venv/bin/python bench/load.py
Knobs (environment): LOAD_SECONDS (120), LOAD_MEMBERS (100), LOAD_SOCKETS (500),
LOAD_JOBS_PER_MINUTE (20), LOAD_WORKSPACES (10), LOAD_WEB (1: one Daphne; N > 1: N Daphnes
behind nginx with the compose file's proxy configuration, deploy/nginx.conf).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

# Production settings, on plain HTTP over loopback.
os.environ.update(
    DJANGO_DEBUG="0",
    DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
    DJANGO_SECURE_COOKIES="0",
    DJANGO_SECURE_SSL_REDIRECT="0",
    DJANGO_SECURE_HSTS_SECONDS="0",
    DJANGO_SECURE_PROXY_SSL_HEADER="",
    # One submitter posts every job of the run: the per-user limit is not what is measured.
    RATE_LIMIT_JOBS="1000/m",
)

import _stack  # sets up Django on a throwaway database
import psutil

WEB = int(os.environ.get("LOAD_WEB", "1"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "120"))
MEMBERS = int(os.environ.get("LOAD_MEMBERS", "100"))
SOCKETS = int(os.environ.get("LOAD_SOCKETS", "500"))
JOBS_PER_MINUTE = float(os.environ.get("LOAD_JOBS_PER_MINUTE", "20"))
WORKSPACES = int(os.environ.get("LOAD_WORKSPACES", "10"))
GALLERY_SIZE = 30  # finished videos per workspace before the load starts
PAGES = ("dashboard", "gallery", "job page", "editor")
# The members arrive in the first seconds (locust starts 20 a second, each clicking first
# after a random part of its reading time, bench/load_users.py) on a process whose caches are
# still empty: the pages from then on are reported apart as well.
ARRIVAL_SECONDS = 10


def session_of(user: object) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client.cookies["sessionid"].value


def make_people() -> dict[str, object]:
    """Workspaces with their members, and one editor in all of them who submits the jobs."""
    from django.contrib.auth.models import User

    from studio import services

    submitter = User.objects.create_user(username="submitter", password=secrets.token_hex(8))
    workspaces, members = [], []
    for w in range(WORKSPACES):
        owner = User.objects.create_user(username=f"owner{w}", password=secrets.token_hex(8))
        workspace = services.workspaces.workspace_create(name=f"Team {w}", owner=owner)
        services.workspaces.membership_add(workspace=workspace, user=submitter)
        workspaces.append(workspace)
        members.append((owner, workspace))
    for m in range(MEMBERS - WORKSPACES):
        user = User.objects.create_user(username=f"member{m}", password=secrets.token_hex(8))
        workspace = workspaces[m % WORKSPACES]
        services.workspaces.membership_add(workspace=workspace, user=user)
        members.append((user, workspace))
    return {"submitter": submitter, "workspaces": workspaces, "members": members}


def fill_galleries(people: dict[str, Any]) -> None:
    """One real job per workspace, then copies of its rows (the same files) up to GALLERY_SIZE,
    so every gallery page and job page has what a team's has after a while."""
    from django.test import Client

    from studio.models import Job, Video
    from tests.integration.helpers import wait_for_job

    client = Client()
    client.force_login(people["submitter"])  # type: ignore[arg-type]
    firsts = []
    for i, workspace in enumerate(people["workspaces"]):  # type: ignore[attr-defined]
        response = client.post(
            f"/w/{workspace.pk}/new/",
            {
                "mode": "text-to-video",
                "prompt": "a red ball bounces on a wooden table",
                "engine": "embedded",
                "aspect": "1:1",
                "size": "small",
                "num_frames": "16",
                "fps": "8",
                "steps": "8",
                "guidance": "5",
                "seed": str(i),
            },
        )
        assert response.status_code == 302, response.content.decode()[:500]
        firsts.append(Job.objects.latest("id"))
    for job in firsts:
        done = wait_for_job(job.pk, lambda j: j.is_final, timeout=300)
        assert done.status == Job.Status.SUCCEEDED, done.error
        video = Video.objects.get(job=done)
        for n in range(GALLERY_SIZE - 1):
            copy = Job.objects.get(pk=done.pk)
            copy.pk = None
            copy.prompt = f"{done.prompt} (take {n + 2})"
            copy.save()
            video.pk, video.job = None, copy
            video.save()


def write_plan(path: Path, server: str, people: dict[str, object]) -> None:
    members = [
        {"session": session_of(user), "workspace": workspace.pk}
        for user, workspace in people["members"]  # type: ignore[attr-defined]
    ]
    ws_url = server.replace("http://", "ws://")
    sockets = [
        {
            "url": f"{ws_url}/ws/workspaces/{members[i % len(members)]['workspace']}/",
            "session": members[i % len(members)]["session"],
            "origin": server,
        }
        for i in range(SOCKETS)
    ]
    submitter = people["submitter"]
    plan = {
        "members": members,
        "sockets": sockets,
        "jobs_per_minute": JOBS_PER_MINUTE,
        "submitter": {
            "session": session_of(submitter),
            "workspaces": [w.pk for w in people["workspaces"]],  # type: ignore[attr-defined]
        },
    }
    path.write_text(json.dumps(plan))


# Shared services on the same cores, counted by process name: every PostgreSQL backend, Redis.
SERVICES = {"postgres": ("postgres",), "redis": ("redis-server",)}


def _service_cpu() -> dict[str, dict[int, float]]:
    """CPU seconds of every process of each shared service, by pid."""
    found: dict[str, dict[int, float]] = {name: {} for name in SERVICES}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        times = proc.info["cpu_times"]
        if times is None:
            continue
        for service, names in SERVICES.items():
            if proc.info["name"] in names:
                found[service][proc.pid] = times.user + times.system
    return found


class CpuMeter:
    """CPU seconds each process (and its children) spent between start() and stop(), and the
    shared services' (PostgreSQL, Redis) over the same time: where the two cores went."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self.started: dict[str, float] = {}
        self.services: dict[str, dict[int, float]] = {}
        self.wall = 0.0

    def _cpu(self, proc: psutil.Process) -> float:
        total = 0.0
        for p in [proc, *proc.children(recursive=True)]:
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def start(self) -> None:
        self.wall = time.monotonic()
        self.started = {name: self._cpu(p) for name, p in self.processes.items()}
        self.services = _service_cpu()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.wall
        shares = {
            name: (self._cpu(p) - self.started[name]) / wall for name, p in self.processes.items()
        }
        for service, now in _service_cpu().items():
            before = self.services.get(service, {})
            # A backend that started meanwhile counts from zero; one that ended is not counted.
            spent = sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())
            shares[service] = spent / wall
        return shares


def run_load(tmp: Path, server: str, plan: Path, meter_of: dict[str, int]) -> dict[str, Any]:
    env = {**_stack.live.child_env(), "LOAD_PLAN": str(plan), "LOAD_TIMES": str(tmp / "times.json")}
    sockets = subprocess.Popen(
        [
            sys.executable,
            str(_stack.ROOT / "bench/load_sockets.py"),
            str(plan),
            str(tmp / "sockets.json"),
            str(SECONDS + 20),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sockets.stdout is not None
    print(sockets.stdout.readline().strip(), "WebSockets", flush=True)
    locust = subprocess.Popen(
        [
            str(_stack.live.BIN / "locust"),
            *("-f", str(_stack.ROOT / "bench/load_users.py"), "--headless"),
            *("-u", str(MEMBERS + 1), "-r", "20", "-t", f"{SECONDS}s", "--host", server),
            *("--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    meter = CpuMeter({**meter_of, "locust": locust.pid, "sockets": sockets.pid})
    warm_up = min(ARRIVAL_SECONDS, SECONDS / 4)  # the users arrive before it measures how busy
    time.sleep(warm_up)
    meter.start()
    time.sleep(SECONDS - warm_up - 3)  # stop measuring before locust ends
    cpu = meter.stop()
    _, locust_log = locust.communicate()
    sockets.wait()
    return {
        "times": json.loads((tmp / "times.json").read_text()),
        "sockets": json.loads((tmp / "sockets.json").read_text()),
        "cpu": cpu,
        "locust_log": locust_log,
    }


def _line(name: str, values: list[float], note: str = "") -> str:
    p = _stack.percentile
    return (
        f"  {name:<14} n={len(values):<5} p50 {p(values, 50):6.1f} ms  "
        f"p95 {p(values, 95):6.1f} ms{note}"
    )


def _slowest_seconds(times: list[tuple[str, float, bool, float]], start: float) -> str:
    """Where the pages over 150 ms fell: the run's seconds holding most of them, so a tail
    made of a few stalls reads differently from one spread over the run."""
    counts = Counter(
        int(at - start) for name, ms, _failed, at in times if name in PAGES and ms > 150
    )
    seconds = ", ".join(f"{second} s: {n}" for second, n in sorted(counts.most_common(8)))
    slow = sum(counts.values())
    return f"  pages over 150 ms: {slow}, in {len(counts)} of the run's seconds: {seconds}"


def report(result: dict[str, Any], started_id: int) -> None:
    from studio.models import Job

    p = _stack.percentile
    times: list[tuple[str, float, bool, float]] = result["times"]
    errors = [name for name, _ms, failed, _at in times if failed]
    rate = len(times) / SECONDS
    print(f"\n{len(times)} requests in {SECONDS} s ({rate:.1f}/s), {len(errors)} failed")
    for name in (*PAGES, "submit a job"):
        mine = [ms for n, ms, failed, _at in times if n == name and not failed]
        if mine:
            print(_line(name, mine))
    pages = [ms for name, ms, failed, _at in times if name in PAGES and not failed]
    print(_line("every page", pages, "   target p95 < 150 ms"))
    start = min(at for *_, at in times)
    arrived = [
        ms
        for name, ms, failed, at in times
        if name in PAGES and not failed and at - start >= ARRIVAL_SECONDS
    ]
    print(_line(f"from {ARRIVAL_SECONDS} s on", arrived, " (the users have all arrived)"))
    print(_slowest_seconds(times, start))

    sockets: dict[str, Any] = result["sockets"]
    latencies, handshakes = sockets["latencies_ms"], sockets["handshake_ms"] or [0.0]
    print(
        f"\nWebSockets: {sockets['connected']} of {SOCKETS} opened; handshakes refused "
        f"{sockets['refused']}, sockets dropped {sockets['dropped']}; handshake p50 "
        f"{p(handshakes, 50):.0f} ms, p95 {p(handshakes, 95):.0f} ms"
    )
    print(f"  messages received: {sockets['messages']}")
    if latencies:
        print(
            f"  progress latency over {len(latencies)} deliveries: p50 {p(latencies, 50):.1f} ms  "
            f"p95 {p(latencies, 95):.1f} ms  max {max(latencies):.1f} ms   target p95 < 100 ms"
        )
    for line in sorted(set(sockets["errors"]))[:5]:
        print("  socket error:", line)

    jobs = Job.objects.filter(pk__gt=started_id)
    states = {s: jobs.filter(status=s).count() for s in Job.Status.values}
    now = {state: n for state, n in states.items() if n}
    print(f"\nJobs submitted during the run: {jobs.count()}, now {now}")
    busy = ", ".join(f"{name} {share:.2f}" for name, share in result["cpu"].items())
    print(f"Busy (share of one core): {busy}; all of these {sum(result['cpu'].values()):.2f}")
    total = len(errors) + sockets["refused"] + sockets["dropped"] + states[Job.Status.FAILED]
    print(f"errors of every kind: {total}   target 0")
    if errors:
        print(result["locust_log"][-2000:])


def main() -> None:
    from django.core.management import call_command

    from studio.models import Job

    live = _stack.live
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    live.flush_broker()
    tmp = Path(tempfile.mkdtemp(prefix="reelsmith-load-"))
    ports = [live.free_port() for _ in range(WEB)]
    web = [live.start_server(port, f"load-daphne-{i}") for i, port in enumerate(ports)]
    entry = ports[0]
    if WEB > 1:
        entry = live.free_port()
        web.append(live.start_proxy(entry, ports, "load-proxy"))
    server_url = f"http://127.0.0.1:{entry}"
    worker = live.start_worker("load")
    sweeper = live.start_sweeper()
    try:
        people = make_people()
        print(f"{WORKSPACES} workspaces, {MEMBERS} members; filling the galleries...", flush=True)
        fill_galleries(people)
        plan = tmp / "plan.json"
        write_plan(plan, server_url, people)
        started_id = Job.objects.latest("id").pk
        processes = {p.name: p.proc.pid for p in web}
        processes.update(worker=worker.proc.pid, control=sweeper.proc.pid)
        tier = f"{WEB} Daphnes behind nginx" if WEB > 1 else "1 Daphne"
        print(
            f"load: {MEMBERS} members, {SOCKETS} sockets, {JOBS_PER_MINUTE:g} jobs/min, "
            f"{SECONDS} s, {tier}",
            flush=True,
        )
        report(run_load(tmp, server_url, plan, processes), started_id)
    finally:
        for proc in (worker, sweeper, *web):
            proc.stop()


if __name__ == "__main__":
    main()
