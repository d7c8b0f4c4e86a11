"""A job's wall-clock limit on a worker: how long a job of its engine may run, and the alarm
that stops one whose engine hangs without a word.

Celery's own time limits need the prefork pool; workers run ``-P solo`` (one process per GPU,
the task on the main thread), so the limit is enforced here, twice: the progress callback stops
a job past its deadline at its next call (see Heartbeat.check), and a SIGALRM on the main
thread stops one that never calls back (a hung step, a stuck read).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from django.conf import settings

from studio.models import Job


class JobTimedOut(BaseException):
    """The job ran past its time limit. A BaseException, like KeyboardInterrupt, so that an
    engine's own ``except Exception`` cannot swallow it and carry on."""


def job_time_limit(job: Job) -> tuple[float, str]:
    """Seconds the job may run, and the reason a job stopped at that limit gives.

    JOB_TIME_LIMITS names an engine or a queue; the engine's entry wins over its queue's, and
    JOB_TIME_LIMIT_SECONDS applies to the rest."""
    limits: dict[str, int] = settings.JOB_TIME_LIMITS
    for name in (job.engine, job.queue):
        if name in limits:
            seconds, applies_to = float(limits[name]), f"{name} jobs"
            break
    else:
        seconds, applies_to = float(settings.JOB_TIME_LIMIT_SECONDS), "every job"
    reason = (
        f"The job ran past its time limit ({seconds:g} s for {applies_to} on this server) "
        "and was stopped."
    )
    return seconds, reason


@contextmanager
def alarm(seconds: float, reason: str) -> Iterator[None]:
    """Raise JobTimedOut in the work inside, wherever it is, once ``seconds`` have passed.

    Only on the main thread (signals are delivered there) and only when no one else owns the
    process's alarm (a test runner's timeout); elsewhere the progress callback's check is all.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0]
    ):
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise JobTimedOut(reason)

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
