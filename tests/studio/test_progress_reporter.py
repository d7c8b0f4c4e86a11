"""The worker's progress callback: the job's page gets ten updates a second, the team's feed two."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from studio.live import job_group, workspace_group
from studio.models import Job
from studio.worker import lease, progress
from studio.worker.heartbeat import Heartbeat

pytestmark = pytest.mark.django_db

WORKER = "gpu0@a:10:boot-1"


class Sent(list[tuple[float, str, dict[str, Any]]]):
    """Every (clock, group, message) the reporter sent, on a clock the test moves."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = {"now": 1000.0}


@pytest.fixture
def sent(monkeypatch: Any) -> Sent:
    log = Sent()
    monkeypatch.setattr(progress.time, "monotonic", lambda: log.clock["now"])
    monkeypatch.setattr(
        progress, "send", lambda items: log.extend((log.clock["now"], g, m) for g, m in items)
    )
    return log


def _run(job: Job, sent: Sent, *, steps: int, every: float, stage: str = "denoising") -> None:
    lease.job_start(job_id=job.pk, worker=WORKER)
    reporter = progress.ProgressReporter(job=job, worker=WORKER, heartbeat=Heartbeat(worker=WORKER))
    for step in range(1, steps + 1):
        sent.clock["now"] += every
        reporter(step, steps, stage=stage)


def test_the_job_page_gets_every_update_ten_times_a_second(job: Job, sent: Sent):
    """A step every 0.1 s reaches the job's group at every step."""
    _run(job, sent, steps=20, every=0.1)
    steps = [m["step"] for _, g, m in sent if g == job_group(job.pk)]
    assert steps == list(range(1, 21))


def test_the_workspace_feed_gets_at_most_two_updates_a_second(job: Job, sent: Sent):
    """The same 2 s of steps reach the feed about four times, never twice within half a second,
    with the first step (a new stage) and the last among them."""
    _run(job, sent, steps=20, every=0.1)
    feed = [(t, m["step"]) for t, g, m in sent if g == workspace_group(job.workspace_id)]
    steps = [step for _, step in feed]
    assert steps[0] == 1 and steps[-1] == 20
    assert 4 <= len(feed) <= 6
    # the last step goes out at once, however soon after the one before
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(feed[:-1])]
    assert all(gap >= progress.ProgressReporter.FEED_INTERVAL - 1e-9 for gap in gaps)


def test_a_new_stage_reaches_the_feed_at_once(job: Job, sent: Sent):
    """A stage change is never held back by the feed's rate."""
    lease.job_start(job_id=job.pk, worker=WORKER)
    reporter = progress.ProgressReporter(job=job, worker=WORKER, heartbeat=Heartbeat(worker=WORKER))
    reporter(1, 10, stage="denoising")
    sent.clock["now"] += 0.05
    reporter(0, 1, stage="encoding")
    feed = [m["stage"] for _, g, m in sent if g == workspace_group(job.workspace_id)]
    assert feed == ["denoising", "encoding"]
