"""Quotas: how many jobs a workspace may have queued or running at once, and how many
worker-seconds it may use a calendar month on each kind of worker (cpu, gpu).

Checked when jobs are submitted and batches launched, under a lock on the workspace's row,
held until the new jobs are committed: two submissions at the same moment are counted one
after the other, so they cannot both pass the cap.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from studio import selectors
from studio.models import Workspace
from studio.selectors import KindUsage, WorkspaceUsage


def quota_lock(*, workspace: Workspace) -> WorkspaceUsage:
    """Lock the workspace's row until the transaction ends, and read its usage."""
    assert transaction.get_connection().in_atomic_block, "the lock lasts until the commit"
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    return selectors.workspace_usage(workspace=locked)


def quota_check_job(*, workspace: Workspace, queue: str) -> None:
    """Refuse one more job on ``queue`` when the workspace is at its cap of active jobs or
    has used this month's time of that queue's kind of worker."""
    usage = quota_lock(workspace=workspace)
    if usage.active >= usage.max_active:
        raise ValidationError(
            f"This workspace has {usage.active:,} active jobs, the most it may have at once; "
            "wait for some to finish.",
            code="too_many_active_jobs",
        )
    kind = usage.kinds[selectors.queue_kind(queue)]
    if kind.left <= 0:
        raise ValidationError(_time_used(kind), code="quota_used")


def quota_check_batch(
    *, usage: WorkspaceUsage, rows: int, queue: str, seconds_needed: float
) -> None:
    """Refuse a batch of ``rows`` new jobs (the usage read by quota_lock before they were
    made) that would pass the cap of active jobs or this month's time left; the message
    says how many rows would fit."""
    room = max(0, usage.max_active - usage.active)
    if rows > room:
        raise ValidationError(
            f"This batch has {rows:,} rows, but the workspace has {usage.active:,} active "
            f"jobs of the {usage.max_active:,} it may have at once: {_fit(room)}. Wait for "
            "some to finish, or launch a smaller batch.",
            code="too_many_active_jobs",
        )
    kind = usage.kinds[selectors.queue_kind(queue)]
    if kind.left <= 0:
        raise ValidationError(_time_used(kind), code="quota_used")
    if seconds_needed > kind.left:
        fit = int(rows * kind.left / seconds_needed)
        raise ValidationError(
            f"This batch needs about {round(seconds_needed):,} {kind.label} worker-seconds, "
            f"but this month's {kind.label} time has {kind.left:,} of {kind.quota:,} left "
            f"({kind.used:,} used): about {fit:,} of its {rows:,} rows "
            f"{'fits' if fit == 1 else 'fit'}.",
            code="quota_exceeded",
        )


def _fit(rows: int) -> str:
    return "1 row fits" if rows == 1 else f"{rows:,} rows fit"


def _time_used(kind: KindUsage) -> str:
    return (
        f"This month's {kind.label} time is used: {kind.used:,} of {kind.quota:,} "
        f"worker-seconds; {kind.left:,} left."
    )
