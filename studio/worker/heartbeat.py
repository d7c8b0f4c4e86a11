"""A worker's heartbeat: a thread that keeps the leases of the jobs it is running fresh,
whatever the pipeline reports, and notices a cancel request or a lease another worker took.

The pipeline may be silent for minutes (a 14B model loading, an offloaded step, a 720p decode,
an upload); the lease must not lapse meanwhile, or the sweep would hand a live job to a second
worker. The pipeline's progress callback asks ``check`` whether to stop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from generation import Cancelled
from studio.models import Job
from studio.worker.lease import LeaseLost
from studio.worker.timelimit import JobTimedOut

logger = logging.getLogger(__name__)


class Heartbeat:
    """Renews, every third of a lease, the lease of each job in it that this worker holds.

    Use it as a context manager around the work; add and discard jobs as they are leased and
    finished (a batch message leases its rows a chunk at a time).
    """

    def __init__(
        self,
        *,
        worker: str,
        job_ids: Iterable[int] = (),
        time_limit: tuple[float, str] | None = None,
    ) -> None:
        self.worker = worker
        # (seconds, reason): past it, check() stops the job (see studio.worker.timelimit)
        self._deadline = None if time_limit is None else time.monotonic() + time_limit[0]
        self._timeout_reason = "" if time_limit is None else time_limit[1]
        self._lock = threading.Lock()
        self._ids: set[int] = set(job_ids)
        self.cancelled: set[int] = set()  # jobs whose cancel was requested
        self.lost: set[int] = set()  # jobs this worker no longer holds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reelsmith-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def add(self, job_ids: Iterable[int]) -> None:
        with self._lock:
            self._ids.update(job_ids)

    def discard(self, job_ids: Iterable[int]) -> None:
        with self._lock:
            self._ids.difference_update(job_ids)

    def check(self, job_id: int) -> None:
        """Raise what the job must stop for: its time limit passed, or, as the last beat found
        it, a lost lease or a cancel request."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise JobTimedOut(self._timeout_reason)
        if job_id in self.lost:
            raise LeaseLost
        if job_id in self.cancelled:
            raise Cancelled

    def _run(self) -> None:
        # A third of a lease: two beats may fail (a database blip) before the lease lapses.
        while not self._stop.wait(settings.JOB_LEASE_SECONDS / 3):
            try:
                self.beat()
            finally:
                # This thread's own connection: closed at once, so a restarted database or a
                # connection pooler never sees a stale one, and none is left when the job ends.
                connection.close()

    def beat(self) -> None:
        """Renew the leases once; a database error is logged and the next beat tries again."""
        with self._lock:
            ids = self._ids - self.lost
        if not ids:
            return
        try:
            self._renew(ids)
        except DatabaseError:
            logger.warning("heartbeat of %s: the database did not answer", self.worker)

    def _renew(self, ids: set[int]) -> None:
        held = Job.objects.filter(pk__in=ids, status=Job.Status.RUNNING, lease_owner=self.worker)
        expires = timezone.now() + timedelta(seconds=settings.JOB_LEASE_SECONDS)
        held.update(lease_expires_at=expires)
        rows = dict(held.values_list("pk", "cancel_requested"))
        with self._lock:
            # Only jobs still in the heartbeat: one that ended meanwhile was not lost.
            self.lost.update((ids & self._ids) - rows.keys())
            self.cancelled.update(pk for pk, cancel in rows.items() if cancel)
