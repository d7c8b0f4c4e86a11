"""Reads. Every query that a page, consumer or task makes for a user goes through here, and
every one of them is scoped by the user's workspace membership."""

from __future__ import annotations

import bisect
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from generation.engines import default_engine
from generation.styles import BUILTIN_STYLES, Style
from studio import placeholders
from studio.engines import engine_settings
from studio.models import (
    ApiToken,
    Asset,
    Avatar,
    Batch,
    BatchArchive,
    BatchRow,
    Board,
    BrandKit,
    Export,
    Generation,
    Job,
    Membership,
    Project,
    ReviewComment,
    ShareLink,
    ShareView,
    Storyboard,
    StoryboardRender,
    StoryboardRenderScene,
    StoryboardScene,
    StyleLora,
    Template,
    Video,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
    WorkspaceStyle,
)

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


# API tokens ---------------------------------------------------------------------------------


def api_token_list(*, workspace: Workspace) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(workspace=workspace).select_related("created_by")


def api_token_get(*, workspace: Workspace, token_id: int) -> ApiToken:
    token = api_token_list(workspace=workspace).filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


def api_token_find(*, raw: str) -> ApiToken | None:
    """The token a request presents, by its visible start and then its whole hash (compared
    in constant time), whether or not it is still usable; None if no token is that one."""
    if len(raw) <= ApiToken.PREFIX_CHARS or "\x00" in raw:
        return None
    token = (
        ApiToken.objects.filter(prefix=raw[: ApiToken.PREFIX_CHARS])
        .select_related("workspace", "created_by")
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, ApiToken.hash_of(raw)):
        return None
    return token


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


def asset_list_for_workspace(*, workspace: Workspace) -> QuerySet[Asset]:
    """The workspace's uploaded images (its music is not offered where an image is asked for)."""
    return Asset.objects.filter(workspace=workspace, kind=Asset.Kind.IMAGE)


def job_active_for_workspace(*, workspace: Workspace) -> QuerySet[Job]:
    return Job.objects.filter(
        workspace=workspace, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    ).order_by("-created_at")


# Share links and review -----------------------------------------------------------------------


def share_link_live(*, token: str) -> ShareLink:
    """The link a public page is opened with, or 404: unknown, revoked or expired links give
    nothing, not even whether they ever existed."""
    if "\x00" in token:  # no token has one, and PostgreSQL refuses it in a query
        raise Http404
    link = (
        ShareLink.objects.filter(token=token, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("video", "video__job")
        .first()
    )
    if link is None or link.video.job.status != Job.Status.SUCCEEDED:
        raise Http404
    return link


def share_link_list(*, video: Video) -> list[ShareLink]:
    """The video's links, newest first, each with ``is_live`` and its ``plays`` set."""
    now = timezone.now()
    links: list[ShareLink] = list(
        ShareLink.objects.filter(video=video).annotate(play_count=Sum("views__plays"))
    )
    for link in links:
        link.is_live = link.revoked_at is None and (  # type: ignore[attr-defined]
            link.expires_at is None or link.expires_at > now
        )
    return links


def share_link_get(*, video: Video, link_id: int) -> ShareLink:
    link = ShareLink.objects.filter(video=video, pk=link_id).first()
    if link is None:
        raise Http404
    return link


@dataclass(frozen=True)
class ShareDay:
    day: Any  # a date
    plays: int
    viewers: int  # unique that day


@dataclass(frozen=True)
class ShareStats:
    """Plays and unique viewers of a video's share links, per day, newest day first."""

    days: list[ShareDay]

    @property
    def plays(self) -> int:
        return sum(day.plays for day in self.days)

    @property
    def viewers(self) -> int:
        """Unique viewers summed over the days (a visitor is only known within a day)."""
        return sum(day.viewers for day in self.days)


def share_stats(*, video: Video) -> ShareStats:
    rows = (
        ShareView.objects.filter(link__video=video, plays__gt=0)
        .values("day")
        .annotate(plays=Sum("plays"), viewers=Count("visitor_hash", distinct=True))
        .order_by("-day")
    )
    return ShareStats(
        days=[ShareDay(day=row["day"], plays=row["plays"], viewers=row["viewers"]) for row in rows]
    )


def share_plays_by_variant(*, variants: Sequence[Job]) -> list[dict[str, Any]]:
    """An A/B group's share plays side by side: each variant's job, plays and daily viewers."""
    totals = {
        row["link__video__job_id"]: row
        for row in ShareView.objects.filter(
            link__video__job_id__in=[job.pk for job in variants], plays__gt=0
        )
        .values("link__video__job_id")
        .annotate(plays=Sum("plays"), viewers=Count("id"))
    }
    return [
        {
            "job": job,
            "plays": (totals.get(job.pk) or {}).get("plays", 0),
            "viewers": (totals.get(job.pk) or {}).get("viewers", 0),
        }
        for job in variants
    ]


def review_comment_list(*, video: Video) -> QuerySet[ReviewComment]:
    return ReviewComment.objects.filter(video=video).select_related("author")


def review_comment_get(*, video: Video, comment_id: int) -> ReviewComment:
    comment = ReviewComment.objects.filter(video=video, pk=comment_id).first()
    if comment is None:
        raise Http404
    return comment


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


def project_list_for_workspace(*, workspace: Workspace) -> QuerySet[Project]:
    return Project.objects.filter(workspace=workspace)


def engines_used_in_workspace(*, workspace: Workspace) -> list[str]:
    """The engines the workspace's jobs used, for the gallery's filter: one row per engine from
    the database, not one per job."""
    engines = (
        Job.objects.filter(workspace=workspace)
        .exclude(mode=Job.Mode.STORYBOARD_SCENE)
        .values_list("engine", flat=True)
    )
    return list(engines.order_by("engine").distinct())


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


# Batches --------------------------------------------------------------------------------------

DEFAULT_SECONDS_PER_FRAME_STEP = 0.02  # a guess for an engine with no history here yet
BATCH_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


def batch_list_for_workspace(*, workspace: Workspace) -> QuerySet[Batch]:
    return Batch.objects.filter(workspace=workspace).select_related("template")


def batch_get(*, workspace: Workspace, batch_id: int) -> Batch:
    batch = (
        Batch.objects.filter(workspace=workspace, pk=batch_id).select_related("template").first()
    )
    if batch is None:
        raise Http404
    return batch


def batch_rows(*, batch: Batch) -> QuerySet[BatchRow]:
    return batch.rows.select_related("job", "job__video", "render").order_by("number")


# A storyboard row's render status as the batch counts it.
_RENDER_ROW_STATUS = {"rendering": "running", "assembling": "running"}


def batch_render_states(*, batch: Batch) -> dict[int, dict[str, Any]]:
    """A storyboard batch's rows' progress, by row id: each row's render's status (as the
    batch counts it), fraction done and stage."""
    states = {}
    for row in batch.rows.select_related("render").filter(render__isnull=False):
        assert row.render is not None
        progress = storyboard_render_progress(render=row.render)
        states[row.pk] = {
            **progress,
            "status": _RENDER_ROW_STATUS.get(progress["status"], progress["status"]),
            "percent": round(progress["fraction"] * 100),
        }
    return states


def job_seconds_estimate(
    *, engine: str, width: int, height: int, num_frames: int, steps: int
) -> float:
    """How long one job takes, from the last finished jobs of that engine and size here, else
    a rough guess from its frames and steps."""
    recent = _recent_run_seconds(engine=engine, width=width, height=height, num_frames=num_frames)
    if recent is not None:
        return recent
    return 2.0 + num_frames * max(steps, 1) * DEFAULT_SECONDS_PER_FRAME_STEP


def _recent_run_seconds(**match: Any) -> float | None:
    """The mean run time of the last 20 succeeded jobs matching ``match``, if any."""
    recent = Job.objects.filter(
        **match, status=Job.Status.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False
    ).order_by("-finished_at")[:20]
    durations = [job.run_seconds for job in recent if job.run_seconds is not None]
    return sum(durations) / len(durations) if durations else None


def batch_generations(*, batch: Batch) -> int:
    """How many distinct generations a draft batch needs: rows whose filled prompts are the
    same share one (the batch uses one seed for all its rows; see services.batches.batch_launch)."""
    template = batch.template
    if template.mode == Template.Mode.AVATAR:
        return batch.rows.count()  # each row's script is spoken and lip-synced on its own
    texts = [template.prompt, template.negative_prompt]
    used = set(placeholders.names_in(*texts))
    keys = {
        tuple(sorted((k, v) for k, v in row.values.items() if k in used))
        for row in batch.rows.all()
    }
    return len(keys)


def batch_estimate_seconds(*, template: Template, generations: int) -> float:
    """The GPU time of a batch: one job's time for each distinct generation. Overlays and
    encoding run per row too, but on the CPU, in a fraction of that."""
    if template.mode == Template.Mode.STORYBOARD:
        # A storyboard row: the last storyboard videos assembled here, else a rough guess.
        recent = _recent_run_seconds(mode=Job.Mode.STORYBOARD)
        return (recent if recent is not None else 30.0) * generations
    if template.mode == Template.Mode.AVATAR:
        return _avatar_seconds_estimate(template) * generations
    engine = template.engine or default_engine(template.mode, engine_settings()) or ""  # type: ignore[arg-type]
    per_job = job_seconds_estimate(
        engine=engine,
        width=template.width,
        height=template.height,
        num_frames=template.num_frames,
        steps=template.steps,
    )
    return per_job * generations


def _avatar_seconds_estimate(template: Template) -> float:
    """A talking head's time: the last ones of that size here, else its length at the speed
    measured in bench/avatar_lipsync.py (about 0.65 s of work per second of video)."""
    recent = _recent_run_seconds(mode=Job.Mode.AVATAR, width=template.width, height=template.height)
    if recent is not None:
        return recent
    return 2.0 + 0.65 * template.num_frames / max(template.fps, 1)


def batch_progress(*, batch: Batch) -> dict[str, Any]:
    """Counts by status, the share done, and the time left from the rows still to run."""
    counts = dict.fromkeys(BATCH_STATUSES, 0)
    counts["draft"] = 0
    rows = list(batch.rows.select_related("job"))
    renders = (
        batch_render_states(batch=batch) if batch.template.mode == Template.Mode.STORYBOARD else {}
    )
    for row in rows:
        if row.pk in renders:
            counts[renders[row.pk]["status"]] += 1
        else:
            counts[row.job.status if row.job else "draft"] += 1
    total = len(rows)
    finished = counts["succeeded"] + counts["failed"] + counts["cancelled"]
    left = counts["queued"] + counts["running"]
    per_job = _average_row_seconds(rows) or batch_estimate_seconds(
        template=batch.template, generations=1
    )
    return {
        **counts,
        "total": total,
        "finished": finished,
        "fraction": finished / total if total else 0.0,
        "eta": per_job * left if left else None,
    }


def batch_ready_videos(*, batch: Batch) -> int:
    """How many of the batch's rows have a finished video (what a ZIP would hold)."""
    return batch.rows.filter(job__status=Job.Status.SUCCEEDED, job__video__isnull=False).count()


def export_list(*, video: Video) -> list[Export]:
    """A video's exports, newest first."""
    return list(video.exports.all())


def export_get(*, video: Video, export_id: int) -> Export:
    export = video.exports.filter(pk=export_id).first()
    if export is None:
        raise Http404
    return export


def export_active(*, video: Video, kind: str, reframe: str) -> Export | None:
    """The export of this kind and framing made or being made, if any (a failed one is not)."""
    return (
        video.exports.filter(kind=kind, reframe=reframe)
        .exclude(status=Export.Status.FAILED)
        .first()
    )


def batch_archive_latest(*, batch: Batch, filename_column: str) -> BatchArchive | None:
    """The newest ZIP asked for with this naming, whatever its state."""
    return batch.archives.filter(filename_column=filename_column).first()


def batch_archive_ready(*, batch: Batch, filename_column: str) -> BatchArchive | None:
    """The newest finished ZIP with this naming."""
    return (
        batch.archives.filter(filename_column=filename_column, status=BatchArchive.Status.READY)
        .exclude(file="")
        .first()
    )


def _average_row_seconds(rows: list[BatchRow]) -> float | None:
    durations = [r.job.run_seconds for r in rows if r.job and r.job.run_seconds is not None]
    return sum(durations) / len(durations) if durations else None


# Brand kit ------------------------------------------------------------------------------------


def brand_kit_for_workspace(*, workspace: Workspace) -> BrandKit:
    """The workspace's brand kit, or an unsaved one with the defaults if it has none yet."""
    return BrandKit.objects.filter(workspace=workspace).first() or BrandKit(workspace=workspace)


def avatar_list_for_workspace(*, workspace: Workspace) -> QuerySet[Avatar]:
    return Avatar.objects.filter(workspace=workspace).select_related("image")


def avatar_get(*, workspace: Workspace, avatar_id: int) -> Avatar:
    avatar = avatar_list_for_workspace(workspace=workspace).filter(pk=avatar_id).first()
    if avatar is None:
        raise Http404("No such avatar in this workspace.")
    return avatar


# Style LoRAs -----------------------------------------------------------------------------------


def style_lora_list_for_workspace(*, workspace: Workspace) -> QuerySet[StyleLora]:
    return StyleLora.objects.filter(workspace=workspace).select_related("created_by")


def style_lora_get(*, workspace: Workspace, lora_id: int) -> StyleLora:
    lora = style_lora_list_for_workspace(workspace=workspace).filter(pk=lora_id).first()
    if lora is None:
        raise Http404("No such style LoRA in this workspace.")
    return lora


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


def image_assets_for_workspace(*, workspace: Workspace) -> QuerySet[Asset]:
    return Asset.objects.filter(workspace=workspace, kind=Asset.Kind.IMAGE).order_by("-created_at")


def can_read_file(*, user: User | AnonymousUser, name: str) -> bool:
    """Whether the user may read a stored file: a member of its workspace, or anyone signed
    in for a built-in template's preview."""
    owner = file_owner(name=name)
    if owner is None:
        return False
    if owner[0] is None:
        return user.is_authenticated
    return is_member(user=user, workspace_id=owner[0])


def file_owner(
    *, name: str
) -> tuple[int | None, Video | Asset | BrandKit | Template | Generation | StyleLora] | None:
    """The workspace id and the object a stored file belongs to, or None if no object has it."""
    if "\x00" in name:  # no stored name has one, and PostgreSQL refuses it in a query
        return None
    video = (
        Video.objects.filter(file=name).first()
        or Video.objects.filter(poster=name).first()
        or (Video.objects.filter(captions=name).first() if name else None)
    )
    if video is not None:
        return video.workspace_id, video
    export = Export.objects.filter(file=name).select_related("video").first() if name else None
    if export is not None:
        return export.video.workspace_id, export.video
    asset = Asset.objects.filter(file=name).first()
    if asset is not None:
        return asset.workspace_id, asset
    kit = BrandKit.objects.filter(logo=name).first() if name else None
    if kit is not None:
        return kit.workspace_id, kit
    template = (
        Template.objects.filter(Q(preview=name) | Q(preview_poster=name)).first() if name else None
    )
    if template is not None:
        return template.workspace_id, template
    # A storyboard scene's poster: its thumbnail on the storyboard page (the footage itself
    # is never served; the finished video is).
    generation = Generation.objects.filter(poster=name).first() if name else None
    if generation is not None:
        return generation.workspace_id, generation
    lora = StyleLora.objects.filter(file=name).first() if name else None
    if lora is not None:
        return lora.workspace_id, lora
    return None


# Live state ---------------------------------------------------------------------------------


def file_url(name: str) -> str:
    return reverse("file", kwargs={"name": name})


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
    videos = {j.pk: j.video for j in finished if "video" in j._state.fields_cache}
    missing = [j.pk for j in finished if j.pk not in videos]
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


# Webhooks -----------------------------------------------------------------------------------


def webhook_endpoint_list(*, workspace: Workspace) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(workspace=workspace).annotate(
        delivery_count=Count("deliveries"),
        failing_count=Count(
            "deliveries",
            filter=Q(
                deliveries__status__in=[
                    WebhookDelivery.Status.FAILED,
                    WebhookDelivery.Status.GIVEN_UP,
                ]
            ),
        ),
    )


def webhook_endpoint_get(*, workspace: Workspace, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(workspace=workspace, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


def webhook_delivery_list(
    *, endpoint: WebhookEndpoint, limit: int = 100
) -> QuerySet[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first, for its delivery log."""
    return endpoint.deliveries.all()[:limit]


def webhook_delivery_get(*, workspace: Workspace, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.filter(endpoint__workspace=workspace, pk=delivery_id)
        .select_related("endpoint")
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


# Storyboard renders -----------------------------------------------------------------------------


def generation_keys_stored(*, workspace: Workspace, keys: list[str]) -> list[str]:
    """Which of these footage keys the workspace has footage stored for."""
    return list(
        Generation.objects.filter(workspace=workspace, key__in=keys).values_list("key", flat=True)
    )


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
    context.update(
        render_scenes=list(scenes.values()),
        render_outputs=outputs,
        render_progress=progress,
        # Going, so it can be cancelled; a failed one can be rendered again instead.
        render_active=progress["status"]
        in (StoryboardRender.Status.RENDERING, StoryboardRender.Status.ASSEMBLING),
    )
    return context


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


# Styles and boards ---------------------------------------------------------------------------


def workspace_style_list(*, workspace: Workspace) -> QuerySet[WorkspaceStyle]:
    return WorkspaceStyle.objects.filter(workspace=workspace)


def workspace_style_get(*, workspace: Workspace, style_id: int) -> WorkspaceStyle:
    style = WorkspaceStyle.objects.filter(workspace=workspace, pk=style_id).first()
    if style is None:
        raise Http404
    return style


def style_list_for_workspace(*, workspace: Workspace) -> list[Style]:
    """The styles the editors offer here: the built-in ones, then the workspace's own."""
    own = [saved.as_style() for saved in workspace_style_list(workspace=workspace)]
    return [*BUILTIN_STYLES.values(), *own]


def style_named(*, workspace: Workspace, name: str, current: Style | None = None) -> Style | None:
    """The style called ``name`` here (None for ""): a built-in one, the workspace's own, or
    ``current`` (a template's saved copy, kept even once its workspace style is deleted).
    ValidationError(code="unknown_style") for any other name."""
    if not name:
        return None
    if name in BUILTIN_STYLES:
        return BUILTIN_STYLES[name]
    saved = WorkspaceStyle.objects.filter(workspace=workspace, name=name).first()
    if saved is not None:
        return saved.as_style()
    if current is not None and current.name == name:
        return current
    raise ValidationError(
        "There is no style called %(name)s here; choose one of the list.",
        code="unknown_style",
        params={"name": repr(name)},
    )


def board_list_for_workspace(*, workspace: Workspace) -> QuerySet[Board]:
    return Board.objects.filter(workspace=workspace).annotate(video_count=Count("videos"))


def board_get(*, workspace: Workspace, board_id: int) -> Board:
    board = Board.objects.filter(workspace=workspace, pk=board_id).first()
    if board is None:
        raise Http404
    return board


def board_ids_for_video(*, video: Video) -> list[int]:
    return list(video.boards.values_list("pk", flat=True))
