"""Reads. Every query that a page, consumer or task makes for a user goes through here, and
every one of them is scoped by the user's workspace membership."""

from __future__ import annotations

import base64
import io
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from PIL import Image

from generation.engines import EngineInfo, EngineSettings, list_engines
from studio.models import (
    Asset,
    BrandKit,
    Job,
    Membership,
    Project,
    Template,
    Video,
    Workspace,
)

PREVIEW_MAX_SIDE = 256


def engine_settings() -> EngineSettings:
    return EngineSettings(
        model_paths=dict(settings.ENGINE_MODEL_PATHS), device=settings.ENGINE_DEVICE
    )


def engine_list() -> list[EngineInfo]:
    return list_engines(engine_settings())


# Membership ---------------------------------------------------------------------------------


def workspace_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user: User | AnonymousUser, workspace_id: int) -> Membership:
    """The user's membership of a workspace, or 404: a non-member cannot tell it exists."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def membership_list(*, workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__username")
    )


def is_member(*, user: User | AnonymousUser, workspace_id: int) -> bool:
    return bool(
        user.is_authenticated
        and Membership.objects.filter(user=user, workspace_id=workspace_id).exists()
    )


# Jobs and videos ----------------------------------------------------------------------------


def job_get(*, workspace: Workspace, job_id: int) -> Job:
    job = (
        Job.objects.filter(workspace=workspace, pk=job_id)
        .select_related("project", "image", "created_by", "video")
        .first()
    )
    if job is None:
        raise Http404
    return job


def job_list_for_workspace(
    *,
    workspace: Workspace,
    project_id: int | None = None,
    engine: str = "",
    status: str = "",
) -> QuerySet[Job]:
    jobs = Job.objects.filter(workspace=workspace).select_related("project", "video")
    if project_id:
        jobs = jobs.filter(project_id=project_id)
    if engine:
        jobs = jobs.filter(engine=engine)
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at", "-id")


def job_active_for_workspace(*, workspace: Workspace) -> QuerySet[Job]:
    return Job.objects.filter(
        workspace=workspace, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    ).order_by("-created_at")


def project_list_for_workspace(*, workspace: Workspace) -> QuerySet[Project]:
    return Project.objects.filter(workspace=workspace)


def engines_used_in_workspace(*, workspace: Workspace) -> list[str]:
    return sorted(set(Job.objects.filter(workspace=workspace).values_list("engine", flat=True)))


# Templates ------------------------------------------------------------------------------------


def template_list_for_workspace(
    *, workspace: Workspace, mode: str = "", aspect: str = ""
) -> QuerySet[Template]:
    """The workspace's own templates and the built-in ones, the workspace's first."""
    templates = Template.objects.filter(Q(workspace=workspace) | Q(workspace__isnull=True))
    if mode:
        templates = templates.filter(mode=mode)
    if aspect:
        templates = templates.filter(aspect=aspect)
    return templates.order_by(F("workspace_id").asc(nulls_last=True), "name", "pk")


def template_get(*, workspace: Workspace, template_id: int) -> Template:
    """A built-in template or one of this workspace's, else 404."""
    template = template_list_for_workspace(workspace=workspace).filter(pk=template_id).first()
    if template is None:
        raise Http404
    return template


# Brand kit ------------------------------------------------------------------------------------


def brand_kit_for_workspace(*, workspace: Workspace) -> BrandKit:
    """The workspace's brand kit, or an unsaved one with the defaults if it has none yet."""
    return BrandKit.objects.filter(workspace=workspace).first() or BrandKit(workspace=workspace)


def file_owner(*, name: str) -> tuple[int, Video | Asset | BrandKit] | None:
    """The workspace id and the object a stored file belongs to, or None if no object has it."""
    video = Video.objects.filter(file=name).first() or Video.objects.filter(poster=name).first()
    if video is not None:
        return video.workspace_id, video
    asset = Asset.objects.filter(file=name).first()
    if asset is not None:
        return asset.workspace_id, asset
    kit = BrandKit.objects.filter(logo=name).first() if name else None
    if kit is not None:
        return kit.workspace_id, kit
    return None


# Live state ---------------------------------------------------------------------------------


def job_group(job_id: int) -> str:
    return f"job-{job_id}"


def workspace_group(workspace_id: int) -> str:
    return f"workspace-{workspace_id}"


def file_url(name: str) -> str:
    return reverse("file", kwargs={"name": name})


def job_state(job: Job) -> dict[str, Any]:
    """The public state of a job, as the page and the WebSocket snapshot show it."""
    state: dict[str, Any] = {
        "job": job.pk,
        "status": job.status,
        "stage": _stage_text(job),
        "step": job.progress_step,
        "total": job.progress_total,
        "eta": job.eta_seconds,
        "preview": job.preview or None,
        "error": job.error,
        "url": reverse("job_detail", kwargs={"workspace_id": job.workspace_id, "job_id": job.pk}),
        "video": None,
    }
    video = (
        Video.objects.filter(job_id=job.pk).first() if job.status == Job.Status.SUCCEEDED else None
    )
    if video is not None:
        state["video"] = {
            "url": file_url(video.file.name),
            "poster": file_url(video.poster.name),
            "download": reverse(
                "video_download", kwargs={"workspace_id": job.workspace_id, "job_id": job.pk}
            ),
            "duration": video.duration,
            "width": video.width,
            "height": video.height,
        }
    return state


def _stage_text(job: Job) -> str:
    """The stage; for a queued job, how many jobs its queue will run first."""
    if job.status != Job.Status.QUEUED:
        return job.stage
    ahead = Job.objects.filter(
        queue=job.queue,
        status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        created_at__lt=job.created_at,
    ).count()
    return f"{job.stage} · {ahead} job{'s' if ahead != 1 else ''} ahead" if ahead else job.stage


def preview_data_url(image: Image.Image) -> str:
    """A small JPEG of a preview frame, inline, so it needs no file and no second request."""
    image = image.convert("RGB")
    image.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
