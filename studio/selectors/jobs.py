"""Reads of jobs: the gallery, search, variants and the live state a page shows."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from studio.models import Generation, Job, StoryboardRender, StoryboardRenderScene, Video, Workspace
from studio.selectors.files import file_url

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


def job_variants(*, job: Job) -> list[Job]:
    """The A/B group a job belongs to, first job first; empty when it has no variants."""
    head = job.variant_of_id or job.pk
    group = list(
        Job.objects.filter(Q(pk=head) | Q(variant_of_id=head), workspace_id=job.workspace_id)
        .order_by("pk")
        .only("pk", "seed", "status")
    )
    return group if len(group) > 1 else []


def job_list_for_workspace(
    *,
    workspace: Workspace,
    project_id: int | None = None,
    engine: str = "",
    status: str = "",
    mode: str = "",
    batch_id: int | None = None,
    review_state: str = "",
    search: str = "",
    board_id: int | None = None,
) -> QuerySet[Job]:
    jobs = Job.objects.filter(workspace=workspace).select_related("project", "video")
    # A storyboard's scenes are parts of its video, not videos of their own.
    scenes = Job.Mode.STORYBOARD_SCENE
    jobs = jobs.filter(mode=mode) if mode else jobs.exclude(mode=scenes)
    if search.strip():
        jobs = jobs.filter(pk__in=job_search_ids(workspace=workspace, text=search))
    if board_id is not None:
        jobs = jobs.filter(video__boards__id=board_id, video__boards__workspace=workspace)
    if mode:
        jobs = jobs.filter(mode=mode)
    if batch_id is not None:
        jobs = jobs.filter(batch_rows__batch_id=batch_id)
    if review_state:
        jobs = jobs.filter(video__review_state=review_state)
    if project_id:
        jobs = jobs.filter(project_id=project_id)
    if engine:
        # No engine's name has a NUL, and PostgreSQL refuses one in a query.
        jobs = jobs.filter(engine=engine) if "\x00" not in engine else jobs.none()
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at", "-id")


# What the gallery's search box reads: the prompt, the project's and the template's names, the
# video's review comments, and for a storyboard's video the storyboard's title (as it is now)
# and its scenes' words. PostgreSQL weighs the prompt first (full-text, English stems).
_STORYBOARD = "storyboard_output__render__storyboard"


SEARCH_FIELDS = (
    "prompt",
    "project__name",
    "template__name",
    f"{_STORYBOARD}__title",
    "video__review_comments__text",
    f"{_STORYBOARD}__scenes__voiceover",
    f"{_STORYBOARD}__scenes__on_screen_text",
)


SEARCH_WEIGHTS = ("A", "B", "B", "B", "C", "C", "C")


MAX_SEARCH_CHARS = 200


def job_search_ids(*, workspace: Workspace, text: str) -> QuerySet[Job, int]:
    """The ids of the workspace's jobs whose searched texts match ``text``: PostgreSQL's
    full-text search where the database is PostgreSQL (every word, stemmed: "bottles" finds
    "bottle"), else every word as a case-insensitive substring of some field."""
    # No text a user types has a NUL, and PostgreSQL refuses one in a query.
    text = text.replace("\x00", " ").strip()[:MAX_SEARCH_CHARS]
    jobs = Job.objects.filter(workspace=workspace)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        document: Any = SearchVector(SEARCH_FIELDS[0], weight=SEARCH_WEIGHTS[0], config="english")
        for name, weight in zip(SEARCH_FIELDS[1:], SEARCH_WEIGHTS[1:], strict=True):
            document += SearchVector(name, weight=weight, config="english")
        query = SearchQuery(text, search_type="websearch", config="english")
        return jobs.annotate(document=document).filter(document=query).values_list("pk", flat=True)
    for word in text.split():
        matches = Q()
        for name in SEARCH_FIELDS:
            matches |= Q(**{f"{name}__icontains": word})
        jobs = jobs.filter(matches)
    return jobs.values_list("pk", flat=True)


def job_active_for_workspace(*, workspace: Workspace) -> QuerySet[Job]:
    return Job.objects.filter(
        workspace=workspace, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    ).order_by("-created_at")


def engines_used_in_workspace(*, workspace: Workspace) -> list[str]:
    """The engines the workspace's jobs used, for the gallery's filter: one row per engine from
    the database, not one per job."""
    engines = (
        Job.objects.filter(workspace=workspace)
        .exclude(mode=Job.Mode.STORYBOARD_SCENE)
        .values_list("engine", flat=True)
    )
    return list(engines.order_by("engine").distinct())


def job_prompt_reading(job: Job) -> list[tuple[str, str]]:
    """What the engine understood the prompt as, to show on the job page: (what, words) rows,
    ending with the words it understood but cannot use and the words it did not understand."""
    analysis = (job.details or {}).get("prompt_analysis")
    if not isinstance(analysis, dict):
        return []
    rows = []
    for key, value in analysis.items():
        if key in ("tokens", "not_used", "unknown_words") or not value:
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append((key.replace("_", " "), text))
    if analysis.get("not_used"):
        rows.append(("not used", ", ".join(map(str, analysis["not_used"]))))
    if analysis.get("unknown_words"):
        rows.append(("not understood", ", ".join(map(str, analysis["unknown_words"]))))
    return rows


def job_state(job: Job) -> dict[str, Any]:
    """The public state of a job, as the page and the WebSocket snapshot show it."""
    return job_states([job])[0]


def job_states(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    """job_state of many jobs, with a query per queue and one for their videos (a batch's
    launch announces hundreds of rows)."""
    finished = [job for job in jobs if job.status == Job.Status.SUCCEEDED]
    # A video already loaded with its job (select_related) is not asked for again.
    loaded = {j.pk: j._state.fields_cache.get("video") for j in finished}
    videos = {pk: video for pk, video in loaded.items() if video is not None}
    missing = [j.pk for j in finished if "video" not in j._state.fields_cache]
    if missing:
        videos |= {video.job_id: video for video in Video.objects.filter(job_id__in=missing)}
    stages = _stage_texts(jobs)
    states = []
    for job in jobs:
        state: dict[str, Any] = {
            "job": job.pk,
            "status": job.status,
            "stage": stages[job.pk],
            "step": job.progress_step,
            "total": job.progress_total,
            "eta": job.eta_seconds,
            "preview": job.preview or None,
            "error": job.failure_reason,
            "url": reverse(
                "job_detail", kwargs={"workspace_id": job.workspace_id, "job_id": job.pk}
            ),
            "video": None,
        }
        video = videos.get(job.pk)
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
                "captions": file_url(video.captions.name) if video.captions else None,
            }
        states.append(state)
    return states


def _stage_texts(jobs: Sequence[Job]) -> dict[int, str]:
    """Each job's stage; for a queued job, how many jobs its queue will run first."""
    texts = {job.pk: job.stage for job in jobs}
    queued: dict[str, list[Job]] = {}
    for job in jobs:
        if job.status == Job.Status.QUEUED:
            queued.setdefault(job.queue, []).append(job)
    for queue, waiting in queued.items():
        first = min(job.created_at for job in waiting)
        last = max(job.created_at for job in waiting)
        active = Job.objects.filter(queue=queue, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        before = active.filter(created_at__lt=first).count()
        between = (
            sorted(
                active.filter(created_at__gte=first, created_at__lt=last).values_list(
                    "created_at", flat=True
                )
            )
            if last > first
            else []
        )
        for job in waiting:
            ahead = before + bisect.bisect_left(between, job.created_at)
            if ahead:
                texts[job.pk] = f"{job.stage} · {ahead} job{'s' if ahead != 1 else ''} ahead"
    return texts


# Storyboard renders -----------------------------------------------------------------------------


def generation_keys_stored(*, workspace: Workspace, keys: list[str]) -> list[str]:
    """Which of these footage keys the workspace has footage stored for."""
    return list(
        Generation.objects.filter(workspace=workspace, key__in=keys).values_list("key", flat=True)
    )


def job_serves_other_renders(*, job: Job, render: StoryboardRender) -> bool:
    """Whether a scene job's footage is awaited by a render other than ``render`` that is
    still making its scenes or assembling."""
    return (
        StoryboardRenderScene.objects.filter(
            job=job,
            render__status__in=[
                StoryboardRender.Status.RENDERING,
                StoryboardRender.Status.ASSEMBLING,
            ],
        )
        .exclude(render=render)
        .exists()
    )
