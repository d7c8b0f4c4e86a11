"""A batch whose rows share their footage: one template with a name drawn as a lower third,
made once alone and then as a batch of 100 rows that differ only in that name.

Measured in one run on the live stack, both through the web app as a user makes them:
(a) one job from the template, submit → succeeded; (b) the batch, launch → every row
succeeded. Prints both times, their ratio (target ≤ 2x), the generations the batch made
(asserted to be 1), the cost per row beyond the one generation, and the ratio projected for
engines whose one generation takes 60 s and 180 s, from the per-row cost measured here. Then,
where a shared row's time goes: its stages timed in this process on the batch's own footage,
next to the rows' time on the worker and between rows.

Run: .venv/bin/python bench/batch_sharing.py [--rows 100]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import _stack  # sets up Django on a throwaway database
from django.conf import settings
from django.urls import reverse

from generation import overlays, render
from studio.brand import brand_values
from studio.models import Batch, Generation, Job, Template

ROWS = 100
PROJECT_FOR = (60.0, 180.0)  # seconds per generation of typical GPU models
STAGE_REPEATS = 5


def _template(workspace: Any) -> Template:
    """Text to video on the mode's default engine (engine left blank), small and short;
    the footage is the same for everyone and the lower third names the customer."""
    return Template.objects.create(
        workspace=workspace,
        name="Hello customer",
        mode=Template.Mode.TEXT_TO_VIDEO,
        engine="",
        prompt="a large red circle moving right on a blue background",
        aspect=Template.Aspect.SQUARE,
        width=256,
        height=256,
        num_frames=16,
        fps=8,
        steps=10,
        guidance=3.0,
        seed=None,  # each make draws its own seed; a batch draws one for all its rows
        fields=[
            {
                "name": "first_name",
                "label": "Name",
                "type": "text",
                "required": True,
                "max_length": 40,
            }
        ],
        overlays={"lower_third": {"name": "Hello {first_name}"}},
    )


def _make_one(client: Any, workspace: Any, template: Template, name: str) -> tuple[Job, float]:
    """Submit the template's form; return the finished job and submit → succeeded seconds."""
    # Wall-clock time, not monotonic: the end is the worker's finished_at, on the same clock.
    start = time.time()
    response = client.post(
        reverse("template_use", args=[workspace.pk, template.pk]),
        {"first_name": name, "variants": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.latest("id")
    job = _wait(lambda: Job.objects.filter(pk=job.pk, finished_at__isnull=False).first())
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job, job.finished_at.timestamp() - start


def _make_batch(
    client: Any, workspace: Any, template: Template, rows: int
) -> tuple[Batch, float, float]:
    """Store the batch as a draft (not timed) and launch it; return the batch, launch → all
    succeeded, and how long the launch request itself took (it queues every row)."""
    csv_text = "first_name\n" + "".join(f"Customer {n}\n" for n in range(1, rows + 1))
    response = client.post(
        reverse("batch_new", args=[workspace.pk]),
        {"template": template.pk, "csv_text": csv_text},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = Batch.objects.latest("id")
    start = time.time()
    response = client.post(reverse("batch_launch", args=[workspace.pk, batch.pk]))
    launch_seconds = time.time() - start
    assert response.status_code == 302
    jobs = Job.objects.filter(batch_rows__batch=batch)
    assert jobs.count() == rows, "the launch queued no jobs"
    _wait(lambda: not jobs.filter(finished_at__isnull=True).exists(), timeout=1200, every=0.5)
    failed = list(jobs.exclude(status=Job.Status.SUCCEEDED).values_list("pk", "error")[:3])
    assert not failed, failed
    last = max(job.finished_at for job in jobs)
    return batch, last.timestamp() - start, launch_seconds


def _wait(check: Callable[[], Any], *, timeout: float = 600, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise TimeoutError(f"nothing finished in {timeout} s")


def _one_generation(batch: Batch, rows: int) -> Generation:
    """The batch's footage, checked to be one generation that every row used."""
    jobs = list(Job.objects.filter(batch_rows__batch=batch))
    assert len(jobs) == rows
    linked = {job.generation_id for job in jobs}
    made = Generation.objects.filter(key__in={job.generation_key for job in jobs})
    engine_runs = [job for job in jobs if "shared_generation" not in job.details]
    assert len(linked) == 1 and None not in linked, f"rows link to generations {linked}"
    assert made.count() == 1, f"{made.count()} generations were stored for the batch"
    assert len(engine_runs) == 1, f"{len(engine_runs)} rows ran the engine"
    generation = made.get()
    assert generation.source_job_id == engine_runs[0].pk
    return generation


def _row_timeline(batch: Batch) -> tuple[float, int]:
    """The shared rows' seconds on the worker, per row: from the first row's lease to the last
    row's end, over their count (rows are leased and stored in chunks, pipelined, so a single
    row's own start and end say little); and how many chunks there were."""
    jobs = list(Job.objects.filter(batch_rows__batch=batch).order_by("started_at"))
    shared = [j for j in jobs if "shared_generation" in j.details]
    span = (max(j.finished_at for j in shared) - shared[0].started_at).total_seconds()
    return span / len(shared), len({j.started_at for j in shared})


def _stages(generation: Generation, job: Job) -> dict[str, float]:
    """A shared row's work, stage by stage, median of a few runs in this process on the
    batch's footage and a row's overlays (the worker runs the same functions)."""
    spec = overlays.OverlaySpec.from_dict(job.overlays)
    times: dict[str, list[float]] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        start = time.monotonic()
        yield
        times.setdefault(name, []).append(time.monotonic() - start)

    for _ in range(STAGE_REPEATS):
        with tempfile.TemporaryDirectory(prefix="reelsmith-bench-row-") as tmp:
            workdir = Path(tmp)
            footage = workdir / "footage.mp4"
            with (
                stage("fetch the footage (once per message)"),
                generation.file.open("rb") as src,
                footage.open("wb") as dst,
            ):
                shutil.copyfileobj(src, dst)
            with stage("decode it (once per message)"):
                frames, fps = overlays.read_frames(footage)
            with stage("read the brand kit"):
                brand = brand_values(workspace=job.workspace, workdir=workdir)
            with stage("draw the overlays"):
                drawn = overlays.apply(frames, fps=fps, spec=spec, brand=brand)
            with stage(f"encode (H.264, {render.OVERLAY_PRESET})"):
                render.write_mp4(drawn, workdir / "out.mp4", fps, preset=render.OVERLAY_PRESET)
            with stage("poster (JPEG)"):
                render.write_poster(drawn, workdir / "out.jpg")
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    rows = parser.parse_args().rows
    threads = settings.ROW_THREADS
    with _stack.stack() as (_url, client, workspace):
        template = _template(workspace)
        # Warm-up: the worker's first job pays for imports and loading the model.
        _make_one(client, workspace, template, "Warm")
        single, single_seconds = _make_one(client, workspace, template, "Ana")
        batch, batch_seconds, launch_seconds = _make_batch(client, workspace, template, rows)
        single_generation = Generation.objects.get(pk=single.generation_id)
        generation = _one_generation(batch, rows)
        on_worker, chunks = _row_timeline(batch)
        first_row = Job.objects.filter(batch_rows__batch=batch).order_by("started_at").first()
        assert first_row is not None and first_row.started_at is not None
        stages = _stages(generation, first_row)
        made = Generation.objects.filter(jobs__batch_rows__batch=batch).distinct().count()

    g_single = single_generation.seconds
    g_batch = generation.seconds
    single_overhead = single_seconds - g_single
    per_row = (batch_seconds - g_batch) / rows
    print(
        f"template: text-to-video on {single.engine!r} (the mode's default engine here), "
        f"{single.width}x{single.height}, {single.num_frames} frames at {single.fps} fps, "
        f"{single.steps} steps; lower third 'Hello {{first_name}}'; warm worker"
    )
    print(f"(a) one job, submit -> succeeded            {single_seconds:7.2f} s")
    print(f"      of which its generation               {g_single:7.2f} s")
    print(f"(b) {rows} rows, launch -> all succeeded      {batch_seconds:7.2f} s")
    print(f"      of which its one generation           {g_batch:7.2f} s")
    print(
        f"ratio batch / single                        {batch_seconds / single_seconds:7.2f}x"
        " (target <= 2x)"
    )
    print(f"generations made for the batch              {made:7d} (asserted: 1)")
    print(f"per-row cost (batch - generation) / {rows:<4d}   {per_row:7.3f} s")
    print(f"single job beyond its generation            {single_overhead:7.3f} s")
    for g in PROJECT_FOR:
        projected = (g + rows * per_row) / (g + single_overhead)
        print(f"projected ratio, a {g:3.0f} s generation          {projected:7.2f}x")
    print("where a shared row's time goes:")
    print(f"  {'shared rows: chunks leased and stored':<44}{chunks:6d}")
    print(
        f"  {'on the worker, per shared row':<44}{on_worker:6.3f} s"
        f" (first lease to last stored / rows; {threads} rows encoding at once)"
    )
    print(f"  {f'the launch request, queueing {rows} jobs':<44}{launch_seconds:6.3f} s")
    print(f"  stages, timed in this process (median of {STAGE_REPEATS}):")
    for name, seconds in stages.items():
        print(f"    {name:<42}{seconds:6.3f} s")
    own = sum(seconds for name, seconds in stages.items() if "once per" not in name)
    label = "a row's own stages, summed"
    print(f"  {label:<44}{own:6.3f} s")


if __name__ == "__main__":
    main()
