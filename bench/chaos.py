"""Chaos on the live stack: workers killed at random moments, Redis and PostgreSQL restarted.

The stack is the real one, on a PostgreSQL cluster and a Redis server of the run's own (so
both can be restarted without touching anyone else's): two job workers, the control worker
with beat (the stalled-job sweep) and jobs of three kinds in flight: single image-to-video
jobs, batch rows that share footage, and talking heads. Each round submits a few jobs, waits a
moment and SIGKILLs one worker: the one running a job at the round's target stage (a model
loading, frames being made, a voice, overlays, the encode and store), noting the stage it was
in, then starts it again. One round restarts Redis (its queues are lost: nothing persists),
one stops PostgreSQL abruptly and starts it again. At the end every job must be final:

    submitted / succeeded / failed (each with its reason) / stuck (not final) /
    duplicated (more than one stored video, or one request's footage made twice) /
    lost (succeeded, but its video is not in storage)

Target: 0 stuck, 0 duplicated, 0 lost.

Run: .venv/bin/python bench/chaos.py [--rounds 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
LEASE_SECONDS = 6  # short, so a killed worker's job is taken back within the run
SWEEP_SECONDS = 2


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    """A throwaway cluster (initdb), run as the postgres user when this process is root."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.data = folder / "data"
        folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        command = [str(PG_BIN / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def crash(self) -> None:
        """Stop it the way a crash does (immediate: no checkpoint), then start it again."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        time.sleep(1.0)
        self.start()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


class Redis:
    """A Redis of the run's own, with nothing persisted: a restart loses every queue."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        for _ in range(100):
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def restart(self) -> None:
        self.stop()
        time.sleep(1.0)
        self.start()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _setup(folder: Path) -> tuple[Postgres, Redis]:
    postgres, redis_server = Postgres(folder / "pg"), Redis()
    os.environ.update(
        DATABASE_URL=postgres.url,
        REDIS_URL=redis_server.url,
        MEDIA_ROOT=str(folder / "media"),
        CHANNELS_PREFIX="reelsmith-chaos",
        DJANGO_SETTINGS_MODULE="studio.settings",
        JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        JOB_SWEEP_SECONDS=str(SWEEP_SECONDS),
        JOB_MAX_ATTEMPTS="5",  # a job may be killed more than once in a run of 20 kills
        FAIR_SHARE_IN_FLIGHT="2",  # two workers
        RATE_LIMIT_JOBS="10000/m",
        REELSMITH_TORCH_THREADS="1",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return postgres, redis_server


def _fixtures() -> dict[str, Any]:
    """A user, a workspace, a product image, a template with overlays and an avatar."""
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image
    from skimage import data

    from studio import services
    from studio.forms.uploads import check_image
    from studio.models import Template
    from tests.conftest import make_png

    user = User.objects.create_user(username="chaos", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    upload = SimpleUploadedFile("product.png", make_png(), content_type="image/png")
    image = services.uploads.asset_create(
        workspace=workspace, user=user, upload=upload, image=check_image(upload)
    )
    template = Template.objects.create(
        workspace=workspace,
        name="Per person",
        mode="image-to-video",
        engine="camera-motion",
        prompt="slow zoom in on the product",
        width=256,
        height=256,
        num_frames=24,
        fps=8,
        steps=1,
        seed=3,
        fields=[{"name": "first_name", "label": "Name", "type": "text", "required": True}],
        overlays={"lower_third": {"name": "{first_name}"}},
    )
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="PNG")
    portrait = SimpleUploadedFile("sam.png", buffer.getvalue(), content_type="image/png")
    with Image.open(io.BytesIO(buffer.getvalue())) as picture:
        picture.load()
        avatar = services.avatars.avatar_create(
            workspace=workspace, user=user, name="Sam", upload=portrait, image=picture
        )
    return {"user": user, "workspace": workspace, "image": image, "template": template,
            "avatar": avatar}  # fmt: skip


def _submit_round(n: int, f: dict[str, Any]) -> list[int]:
    """Two single jobs, a batch of three rows that share footage, and (every other round) a
    talking head."""
    from studio import services
    from studio.batches import ParsedCsv
    from studio.models import Job
    from studio.params import AvatarParams, JobParams

    ids = []
    for k in range(2):
        params = JobParams(
            mode="image-to-video", engine="camera-motion", prompt=f"slow zoom, take {n}.{k}",
            negative_prompt="", width=256, height=256, num_frames=32, fps=8, steps=1,
            guidance=0.0, seed=n * 10 + k,
        )  # fmt: skip
        job = services.jobs.job_submit(
            workspace=f["workspace"], user=f["user"], params=params, image=f["image"]
        )
        ids.append(job.pk)
    names = [f"R{n}a", f"R{n}b", f"R{n}c"]
    parsed = ParsedCsv(
        header=["first_name"],
        mapping={"first_name": "first_name"},
        rows=[(i + 2, {"first_name": name}, {"first_name": name}) for i, name in enumerate(names)],
    )
    batch = services.batches.batch_create(
        workspace=f["workspace"], user=f["user"], template=f["template"], parsed=parsed,
        image=f["image"],
    )  # fmt: skip
    services.batches.batch_launch(batch=batch, user=f["user"])
    ids += list(Job.objects.filter(batch_rows__batch=batch).values_list("pk", flat=True))
    if n % 2 == 0:
        params = AvatarParams(
            script=f"Hello, this is take {n}. Thanks for watching.", voice="espeak-en-gb",
            speed=1.0, captions="file", width=256, height=256, fps=25, seed=n,
        )  # fmt: skip
        job = services.avatars.avatar_job_submit(
            workspace=f["workspace"], user=f["user"], avatar=f["avatar"], params=params
        )
        ids.append(job.pk)
    return ids


# The moments a kill aims at, in turn: a model loading, frames being made (camera motion, a
# voice, overlays), the encode, and the store that follows it (still "encoding" at 100 %).
TARGETS = ("loading model", "animating", "encoding", "speaking", "drawing overlays")
AIM_SECONDS = 8.0


def _kill_one(workers: list[Any], target: str, rng: random.Random) -> str:
    """SIGKILL the worker running a job at the target stage (waiting up to AIM_SECONDS for
    one), else one running any job, else a random one; return the stage it was killed in."""
    from studio.models import Job

    by_pid = {w.proc.pid: i for i, w in enumerate(workers)}

    def running() -> list[tuple[int, str]]:
        found = []
        for owner, stage in Job.objects.filter(status=Job.Status.RUNNING).values_list(
            "lease_owner", "stage"
        ):
            parts = owner.split(":")
            if len(parts) > 2 and parts[1].isdigit() and int(parts[1]) in by_pid:
                found.append((by_pid[int(parts[1])], stage or "starting"))
        rng.shuffle(found)
        return found

    deadline = time.monotonic() + AIM_SECONDS
    while time.monotonic() < deadline:
        aimed = [(i, stage) for i, stage in running() if stage.startswith(target)]
        if aimed:
            workers[aimed[0][0]].kill(signal.SIGKILL)
            return aimed[0][1]
        time.sleep(0.05)
    anything = running()
    if anything:
        workers[anything[0][0]].kill(signal.SIGKILL)
        return anything[0][1]
    workers[rng.randrange(len(workers))].kill(signal.SIGKILL)
    return "idle"


def _report(ids: list[int], kills: collections.Counter[str], media: Path) -> int:
    from django.db.models import Count

    from studio.models import Generation, Job, Video

    jobs = Job.objects.filter(pk__in=ids)
    final = jobs.filter(status__in=Job.FINAL_STATUSES)
    succeeded = jobs.filter(status=Job.Status.SUCCEEDED)
    failed = jobs.filter(status=Job.Status.FAILED)
    stuck = jobs.exclude(status__in=Job.FINAL_STATUSES)
    stored = collections.Counter(
        p.parent.name for p in media.glob("workspaces/*/videos/*/*.mp4")
    )  # one folder a job
    twice = [job for job, count in stored.items() if count > 1]
    remade = Generation.objects.values("workspace", "key").annotate(n=Count("pk")).filter(n__gt=1)
    videos = Video.objects.filter(job__in=succeeded)
    lost = [v.job_id for v in videos if not (media / v.file.name).exists()]
    print(f"kills by stage: {dict(kills)}")
    print(
        f"submitted {len(ids)}  succeeded {succeeded.count()}  failed {failed.count()}  "
        f"stuck {stuck.count()}  duplicated {len(twice) + remade.count()}  lost {len(lost)}"
    )
    for job in failed:
        print(f"  failed {job.pk} ({job.mode}, attempts {job.attempts}): {job.error}")
    for job in stuck:
        print(f"  stuck {job.pk}: {job.status} / {job.stage} / lease {job.lease_owner}")
    attempts = collections.Counter(jobs.values_list("attempts", flat=True))
    print(f"attempts per job: {dict(sorted(attempts.items()))}; final {final.count()}")
    return 0 if not (stuck.exists() or twice or remade.exists() or lost) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drain", type=float, default=600, help="seconds to let jobs end")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="reelsmith-chaos-"))
    if os.geteuid() == 0:
        os.chmod(folder, 0o755)
    postgres, redis_server = _setup(folder)
    from tests import live

    workers = [live.start_worker(f"chaos{i}") for i in range(2)]
    sweeper = live.start_sweeper()
    ids: list[int] = []
    kills: collections.Counter[str] = collections.Counter()
    try:
        f = _fixtures()
        for n in range(args.rounds):
            ids += _submit_round(n, f)
            time.sleep(rng.uniform(0.2, 1.0))
            stage = _kill_one(workers, TARGETS[n % len(TARGETS)], rng)
            kills[stage] += 1
            print(f"round {n + 1}: killed a worker during {stage!r}", flush=True)
            time.sleep(rng.uniform(0.2, 1.5))
            if n == args.rounds // 3:
                redis_server.restart()
                print("  Redis restarted (its queues lost)", flush=True)
            if n == 2 * args.rounds // 3:
                from django import db

                postgres.crash()
                db.connections.close_all()
                print("  PostgreSQL stopped abruptly and started again", flush=True)
            for i, worker in enumerate(workers):
                if worker.proc.poll() is not None:
                    worker.stop()
                    workers[i] = live.start_worker(f"chaos{i}")
        from studio.models import Job

        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            if not Job.objects.filter(pk__in=ids).exclude(status__in=Job.FINAL_STATUSES).exists():
                break
            time.sleep(1.0)
        return _report(ids, kills, Path(os.environ["MEDIA_ROOT"]))
    finally:
        for process in (*workers, sweeper):
            process.stop()
        from django import db

        db.connections.close_all()
        redis_server.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
