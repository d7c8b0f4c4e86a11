"""Reads of storyboards, their scenes and their renders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from studio.models import (
    Generation,
    Job,
    Storyboard,
    StoryboardRender,
    StoryboardRenderScene,
    StoryboardScene,
    Video,
    Workspace,
)
from studio.selectors.files import file_url

# Storyboards -----------------------------------------------------------------------------------


def storyboard_list_for_workspace(*, workspace: Workspace) -> QuerySet[Storyboard]:
    # A storyboard batch's rows' storyboards are listed on their batch's page instead.
    return Storyboard.objects.filter(workspace=workspace, batch__isnull=True).annotate(
        scene_count=Count("scenes")
    )


def storyboard_get(*, workspace: Workspace, storyboard_id: int) -> Storyboard:
    """The workspace's storyboard, or 404 (another workspace's is not found either)."""
    storyboard = Storyboard.objects.filter(workspace=workspace, pk=storyboard_id).first()
    if storyboard is None:
        raise Http404("No such storyboard in this workspace.")
    return storyboard


def storyboard_scenes(*, storyboard: Storyboard) -> list[StoryboardScene]:
    """The storyboard's scenes in play order."""
    return list(storyboard.scenes.select_related("image", "avatar__image").order_by("position"))


def storyboard_scene_get(*, storyboard: Storyboard, scene_id: int) -> StoryboardScene:
    scene = storyboard.scenes.filter(pk=scene_id).first()
    if scene is None:
        raise Http404("No such scene in this storyboard.")
    return scene


def storyboard_render_latest(*, storyboard: Storyboard) -> StoryboardRender | None:
    return storyboard.renders.order_by("-created_at", "-pk").first()


def storyboard_render_active(*, storyboard: Storyboard) -> StoryboardRender | None:
    """The storyboard's render still making scenes or assembling, if any."""
    return (
        storyboard.renders.filter(
            status__in=[StoryboardRender.Status.RENDERING, StoryboardRender.Status.ASSEMBLING]
        )
        .order_by("-pk")
        .first()
    )


def storyboard_render_get(*, storyboard: Storyboard, render_id: int) -> StoryboardRender:
    render = storyboard.renders.filter(pk=render_id).first()
    if render is None:
        raise Http404("No such render of this storyboard.")
    return render


def storyboard_video(*, storyboard: Storyboard, aspect: str) -> Video | None:
    """The storyboard's latest finished video in ``aspect`` (of any render that made one)."""
    return (
        Video.objects.filter(
            job__storyboard_output__render__storyboard=storyboard,
            job__storyboard_output__aspect=aspect,
            job__status=Job.Status.SUCCEEDED,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def storyboard_render_jobs(*, render: StoryboardRender) -> list[Job]:
    """Every job of the render: its scenes' (each once), then its assemblies'."""
    scene_jobs = Job.objects.filter(storyboard_scenes__render=render).distinct().order_by("pk")
    return [*scene_jobs, *Job.objects.filter(storyboard_output__render=render).order_by("pk")]


def storyboard_renders_of_job(*, job_id: int) -> list[StoryboardRender]:
    """The renders a scene or assembly job works for (one footage may serve two renders)."""
    return list(
        StoryboardRender.objects.filter(
            Q(scenes__job_id=job_id) | Q(outputs__job_id=job_id)
        ).distinct()
    )


def storyboard_render_progress(*, render: StoryboardRender) -> dict[str, Any]:
    """The render as a whole: its status as a member reads it (a failed scene or assembly
    shows as failed), the fraction done and an estimate of the time left. Scenes count one
    each, each aspect's assembly as much as all the scenes together (it writes the video)."""
    jobs = storyboard_render_jobs(render=render)
    scene_jobs = [job for job in jobs if job.mode == Job.Mode.STORYBOARD_SCENE]
    assemblies = [job for job in jobs if job.mode == Job.Mode.STORYBOARD]
    aspects = len(set(render.scenes.values_list("aspect", flat=True))) or 1
    scene_weight = 1.0
    assembly_weight = max(1.0, len(scene_jobs) / aspects)
    total = len(scene_jobs) * scene_weight + aspects * assembly_weight
    done = sum(job.progress_fraction for job in scene_jobs) * scene_weight
    done += sum(job.progress_fraction for job in assemblies) * assembly_weight
    fraction = 1.0 if render.status == StoryboardRender.Status.SUCCEEDED else done / total
    status = str(render.status)
    if status in (StoryboardRender.Status.RENDERING, StoryboardRender.Status.ASSEMBLING) and any(
        job.status == Job.Status.FAILED for job in jobs if not _retried(job, jobs)
    ):
        status = "failed"
    running = [job for job in jobs if job.status == Job.Status.RUNNING]
    if status == StoryboardRender.Status.ASSEMBLING:
        stage = f"assembling: {running[0].stage}" if running else "assembling: queued"
    elif status == StoryboardRender.Status.RENDERING:
        made = sum(1 for job in scene_jobs if job.status == Job.Status.SUCCEEDED)
        stage = f"making scenes: {made} of {len(scene_jobs)} done"
    else:
        stage = status
    elapsed = (timezone.now() - render.created_at).total_seconds()
    eta = None
    if status in (StoryboardRender.Status.RENDERING, StoryboardRender.Status.ASSEMBLING) and (
        0.02 < fraction < 1
    ):
        eta = elapsed / fraction * (1 - fraction)
    return {"status": status, "fraction": round(fraction, 4), "stage": stage, "eta": eta}


def _retried(job: Job, jobs: Sequence[Job]) -> bool:
    return any(other.rerun_of_id == job.pk for other in jobs)


def storyboard_render_context(*, storyboard: Storyboard) -> dict[str, object]:
    """What the storyboard page's render panel shows (templates/studio/storyboards/_render.html):
    the latest render's progress, each scene with its thumbnail, state and failure, and the
    finished video of each aspect."""
    render = storyboard_render_latest(storyboard=storyboard)
    context: dict[str, object] = {
        "storyboard": storyboard,
        "render": render,
        "render_scenes": [],
        "render_outputs": [],
        "render_progress": None,
        "render_active": False,
    }
    if render is None:
        return context
    rows = list(render.scenes.select_related("job", "scene").order_by("position", "pk"))
    keys = {row.footage_key for row in rows if row.footage_key}
    posters = dict(
        Generation.objects.filter(workspace_id=storyboard.workspace_id, key__in=keys).values_list(
            "key", "poster"
        )
    )
    scenes: dict[int, dict[str, Any]] = {}
    for row in rows:  # one entry per scene: its first aspect's footage, the others' jobs
        entry = scenes.setdefault(row.position, _render_scene(row, posters))
        if row.job is not None and row.job_id not in entry["job_ids"]:
            entry["job_ids"].append(row.job_id)
            if row.job.status == Job.Status.FAILED and not entry["error"]:
                entry.update(status="failed", error=row.job.failure_reason, job=row.job)
    outputs = []
    for output in render.outputs.select_related("job__video").order_by("pk"):
        video = (
            getattr(output.job, "video", None)
            if output.job.status == Job.Status.SUCCEEDED
            else None
        )
        outputs.append(
            {
                "aspect": output.aspect,
                "job": output.job,
                "video": video,
                "url": file_url(video.file.name) if video else "",
                "poster": file_url(video.poster.name) if video else "",
                "captions": file_url(video.captions.name) if video and video.captions else "",
                "download": reverse("video_download", args=[storyboard.workspace_id, output.job_id])
                if video
                else "",
            }
        )
    progress = storyboard_render_progress(render=render)
    entries = list(scenes.values())
    for entry in entries:  # a card is drawn by the assembly: its still, as it will look
        if entry["status"] == "card" and entry["scene"] is not None:
            entry["thumbnail"] = _card_still_url(storyboard, str(entry["scene"].pk))
    # The brand's open and close are cards of the video, not scenes of the storyboard.
    if storyboard.brand_intro:
        entries.insert(0, _brand_entry(storyboard, "intro", "Open"))
    if storyboard.brand_outro:
        entries.append(_brand_entry(storyboard, "outro", "Close"))
    context.update(
        render_scenes=entries,
        render_outputs=outputs,
        render_progress=progress,
        # Going, so it can be cancelled; a failed one can be rendered again instead.
        render_active=progress["status"]
        in (StoryboardRender.Status.RENDERING, StoryboardRender.Status.ASSEMBLING),
    )
    return context


def _card_still_url(storyboard: Storyboard, card: str) -> str:
    return reverse("storyboard_card_still", args=[storyboard.workspace_id, storyboard.pk, card])


def _brand_entry(storyboard: Storyboard, card: str, label: str) -> dict[str, Any]:
    """The render panel's entry for the brand's open or close."""
    text = storyboard.brand_intro_text if card == "intro" else storyboard.brand_outro_text
    return {
        "position": None,
        "number": None,
        "label": label,
        "scene": None,
        "visual": "brand card",
        "text": text,
        "status": "card",
        "stage": "drawn in the assembly",
        "fraction": 1.0,
        "thumbnail": _card_still_url(storyboard, card),
        "error": "",
        "job": None,
        "job_ids": [],
    }


def _render_scene(row: StoryboardRenderScene, posters: dict[str, str]) -> dict[str, Any]:
    job = row.job
    if not row.footage_key:
        status, stage = "card", "drawn in the assembly"
    elif job is None:
        status, stage = "reused", "footage reused"
    else:
        status, stage = str(job.status), job.stage
    poster = posters.get(row.footage_key)
    return {
        "position": row.position,
        "number": row.position + 1,
        "scene": row.scene,
        "visual": row.visual,
        "text": row.scene.on_screen_text if row.scene else "",
        "status": status,
        "stage": stage,
        "fraction": job.progress_fraction if job else 1.0,
        "thumbnail": file_url(poster) if poster else (job.preview if job else ""),
        "error": job.failure_reason if job and job.status == Job.Status.FAILED else "",
        "job": job,
        "job_ids": [job.pk] if job else [],
    }
