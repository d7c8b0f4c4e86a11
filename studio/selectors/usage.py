"""A workspace's quotas and what it used of them this month."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from studio.models import Job, Workspace
from studio.selectors.jobs import job_active_for_workspace

# Quotas -------------------------------------------------------------------------------------

QUEUE_KINDS = ("cpu", "gpu")


def queue_kind(queue: str) -> str:
    """The kind of worker a queue's jobs use: "cpu" for the cpu queue, "gpu" for any other
    (gpu-small, gpu-large and the queues REELSMITH_MODELS names serve diffusers models)."""
    return "cpu" if queue == "cpu" else "gpu"


@dataclass(frozen=True)
class KindUsage:
    """This month's worker-seconds of one kind of worker, against the workspace's quota."""

    kind: str  # "cpu" or "gpu"
    used: int
    quota: int

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)

    @property
    def label(self) -> str:
        return self.kind.upper()


@dataclass(frozen=True)
class WorkspaceUsage:
    active: int  # jobs queued or running now
    max_active: int
    kinds: dict[str, KindUsage]


def month_start(now: datetime | None = None) -> datetime:
    """The first instant of this calendar month, in UTC."""
    now = now or timezone.now()
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def worker_seconds_this_month(*, workspace: Workspace) -> dict[str, int]:
    """Worker-seconds per kind used by the workspace's jobs that started this month: each
    job's run on a worker (started → finished, or → now while it runs). A job that ran twice
    (its first worker was lost) counts its last run."""
    now = timezone.now()
    used = dict.fromkeys(QUEUE_KINDS, 0.0)
    runs = Job.objects.filter(workspace=workspace, started_at__gte=month_start(now)).values_list(
        "queue", "started_at", "finished_at"
    )
    for queue, started, finished in runs:
        assert started is not None  # filtered on
        used[queue_kind(queue)] += max(0.0, ((finished or now) - started).total_seconds())
    return {kind: math.ceil(seconds) for kind, seconds in used.items()}


def workspace_usage(*, workspace: Workspace) -> WorkspaceUsage:
    """The workspace's active jobs and this month's worker time, with its quotas (its own,
    set in the admin, else the server's defaults)."""
    used = worker_seconds_this_month(workspace=workspace)
    quotas = {
        "cpu": _quota(workspace.cpu_seconds_per_month, settings.WORKSPACE_CPU_SECONDS_PER_MONTH),
        "gpu": _quota(workspace.gpu_seconds_per_month, settings.WORKSPACE_GPU_SECONDS_PER_MONTH),
    }
    return WorkspaceUsage(
        active=job_active_for_workspace(workspace=workspace).count(),
        max_active=_quota(workspace.max_active_jobs, settings.WORKSPACE_MAX_ACTIVE_JOBS),
        kinds={kind: KindUsage(kind, used[kind], quotas[kind]) for kind in QUEUE_KINDS},
    )


def _quota(own: int | None, default: int) -> int:
    return default if own is None else own
