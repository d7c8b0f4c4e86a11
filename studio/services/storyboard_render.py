"""Rendering a storyboard: each scene's footage a job of its own, then one assembly per aspect.

``storyboard_render`` checks everything before anything is queued (the engine's own checks of
the whole storyboard, an engine for every scene, the workspace's quotas). Footage is keyed by
what its engine sees (generation.pipelines.storyboard.footage_key), per aspect, and kept as a
Generation of the workspace: a scene whose key is already stored is not made again, so editing
one scene makes that one again, and changing only the voice, music, captions or transitions
makes none; aspects whose footage is the same share one job. Once every scene is made, the
worker starts the assembly (studio.worker.storyboard.assembly_start), exactly once.

Text and brand cards are drawn in the assembly rather than queued: a card is a few frames of
drawing, cheaper than the job that would carry it, and its length follows the voice, which the
assembly makes anyway; a scene job would have to make every voice first to know it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from generation.engines import default_engine, get_engine_info
from generation.pipelines import storyboard as pipeline
from generation.storyboard import board as engine_board
from studio import selectors
from studio.boards import board_values
from studio.engines import engine_settings
from studio.models import (
    Job,
    Storyboard,
    StoryboardRender,
    StoryboardRenderScene,
    StoryboardScene,
)
from studio.queueing import holding, send_on_commit
from studio.services.errors import refused_as
from studio.services.jobs import job_cancel
from studio.services.quotas import quota_lock
from studio.worker.storyboard import (
    CARD_VISUALS,
    assembly_start,
    render_announce,
)

AVATAR_ENGINE = "avatar"  # generation.pipelines.avatar.ENGINE: talking heads run on the cpu queue


@dataclass(frozen=True)
class Footage:
    """One footage key of the render: the scenes that play it, and what its job makes."""

    key: str
    engine: str
    queue: str
    scene: engine_board.Scene
    size: tuple[int, int]  # the aspect's frame: the footage is scaled to cover it
    frames: int  # the scene's length, where its footage follows it (0 elsewhere)
    seed: int


@dataclass
class RenderPlan:
    """What a render of a storyboard needs: a row per scene and aspect, and the footage those
    rows play, by key (each key once, whichever scenes and aspects share it)."""

    rows: list[StoryboardRenderScene]
    footage: dict[str, Footage]
    aspects: tuple[str, ...]


def render_plan(
    *, storyboard: Storyboard, scenes: list[StoryboardScene], short_side: int
) -> RenderPlan:
    """Check the storyboard with ``scenes`` (saved or not) and key its footage; nothing is
    stored. ValidationError says what to change, naming the scene and its engine."""
    board = board_values(storyboard, scenes, short_side=short_side)
    # 1. The engine's checks: every scene, voice, music, aspect; an engine for every scene.
    with refused_as("bad_storyboard"):
        engine_board.check_storyboard(board, settings=engine_settings())
    engines = _scene_engines(board)
    frames = _scene_frames(board)

    # 2. Footage per scene and aspect, by key: the same key is made once for the render.
    rows: list[StoryboardRenderScene] = []
    footage: dict[str, Footage] = {}
    for aspect in board.aspects:
        for position, (saved, scene) in enumerate(zip(scenes, board.scenes, strict=True)):
            key = ""
            if scene.visual not in CARD_VISUALS:
                key = pipeline.footage_key(
                    scene, board=board, aspect=aspect, frames=frames[position]
                )
                engine = engines[position]
                footage.setdefault(
                    key,
                    Footage(
                        key=key,
                        engine=engine,
                        queue=_engine_queue(engine),
                        scene=scene,
                        size=engine_board.frame_size(aspect, board.short_side),
                        frames=frames[position],
                        seed=board.seed,
                    ),
                )
            rows.append(
                StoryboardRenderScene(
                    scene=saved if saved.pk else None,
                    position=position,
                    aspect=aspect,
                    visual=scene.visual,
                    footage_key=key,
                    frames=frames[position],
                )
            )
    return RenderPlan(rows=rows, footage=footage, aspects=board.aspects)


def storyboard_render(
    *,
    storyboard: Storyboard,
    user: User,
    short_side: int | None = None,
    aspects: list[str] | None = None,
) -> StoryboardRender:
    """Check the storyboard, then queue a job for each footage not stored yet and, once they
    are made, the assembly of every aspect (``aspects``, where given, become the storyboard's
    once the render is queued). ValidationError says what to change (naming the scene and its
    engine), and nothing is queued or saved."""
    short_side = short_side or settings.STORYBOARD_SHORT_SIDE
    if aspects is not None:
        storyboard.aspects = list(dict.fromkeys(aspects))
    scenes = selectors.storyboard_scenes(storyboard=storyboard)
    plan = render_plan(storyboard=storyboard, scenes=scenes, short_side=short_side)
    rows, footage = plan.rows, plan.footage
    stored = set(
        selectors.generation_keys_stored(workspace=storyboard.workspace, keys=list(footage))
    )
    to_make = [f for key, f in footage.items() if key not in stored]

    # 3. Store and queue, under the workspace's quota lock (as job submission does).
    with transaction.atomic():
        # The quota check locks the workspace's row: two presses of Render run one by one.
        quota_check(storyboard, [f.queue for f in to_make] + ["cpu"] * len(plan.aspects))
        active = selectors.storyboard_render_active(storyboard=storyboard)
        if active is not None:
            if selectors.storyboard_render_progress(render=active)["status"] != "failed":
                raise ValidationError(
                    "This storyboard is rendering already; wait for it or cancel it first.",
                    code="render_active",
                )
            storyboard_render_cancel(render=active)  # a failed scene or assembly: start over
        if aspects is not None:
            storyboard.save(update_fields=["aspects", "updated_at"])
        render = StoryboardRender.objects.create(
            storyboard=storyboard, created_by=user, short_side=short_side
        )
        jobs = {f.key: scene_job_create(storyboard, user, f) for f in to_make}
        for part in rows:
            part.render = render
            part.job = jobs.get(part.footage_key)
        StoryboardRenderScene.objects.bulk_create(rows)
        for job in jobs.values():
            send_on_commit(job)
        if not jobs:  # every scene's footage is stored or drawn in the assembly
            assembly_start(render_id=render.pk)
        transaction.on_commit(lambda: render_announce(render.pk))
    return render


def storyboard_render_cancel(*, render: StoryboardRender) -> StoryboardRender:
    """Stop a render: its status is cancelled, and every job of it still active is cancelled
    (queued ones at once, running ones at their next step), but footage that another render
    still going shares."""
    with transaction.atomic():
        updated = StoryboardRender.objects.filter(
            pk=render.pk,
            status__in=[StoryboardRender.Status.RENDERING, StoryboardRender.Status.ASSEMBLING],
        ).update(status=StoryboardRender.Status.CANCELLED)
        if not updated:
            raise ValidationError(
                "This render has ended; there is nothing to cancel.", code="ended"
            )
        for job in selectors.storyboard_render_jobs(render=render):
            # Footage another render still waits on (a storyboard batch's shared scene) is
            # left to make; the last of its renders to be cancelled cancels it.
            if job.is_active and not selectors.job_serves_other_renders(job=job, render=render):
                job_cancel(job=job)
        transaction.on_commit(lambda: render_announce(render.pk))
    render.refresh_from_db()
    return render


def storyboard_scene_retry(
    *, render: StoryboardRender, scene: StoryboardScene, user: User
) -> list[Job]:
    """Make a failed scene's footage again (every aspect of it whose job failed or was
    cancelled), on the render that is still going; the other scenes are left as they are."""
    with transaction.atomic():
        locked = StoryboardRender.objects.select_for_update().get(pk=render.pk)
        if locked.status != StoryboardRender.Status.RENDERING:
            raise ValidationError(
                "Only a scene of a render still making its scenes can be retried; "
                "render the storyboard again.",
                code="not_rendering",
            )
        rows = list(
            locked.scenes.filter(scene=scene, job__isnull=False)
            .select_related("job")
            .order_by("aspect")
        )
        failed = {
            row.job_id: row.job
            for row in rows
            if row.job is not None and row.job.status in (Job.Status.FAILED, Job.Status.CANCELLED)
        }
        if not failed:
            raise ValidationError(
                "This scene has not failed; there is nothing to retry.", code="not_failed"
            )
        quota_check(locked.storyboard, [job.queue for job in failed.values()])
        again: dict[int, Job] = {}
        for old in failed.values():
            assert old is not None
            job = _job_copy(old, user)
            again[old.pk] = job
            # Every row (any scene, any aspect) that shares the failed footage waits on it.
            locked.scenes.filter(job=old).update(job=job)
            send_on_commit(job)
        transaction.on_commit(lambda: render_announce(render.pk))
    return list(again.values())


# Helpers ------------------------------------------------------------------------------------


def _scene_engines(board: engine_board.Storyboard) -> list[str]:
    """The engine that makes each scene's footage ("" for a card)."""
    names = []
    for scene in board.scenes:
        if scene.visual in CARD_VISUALS:
            names.append("")
        elif scene.visual == "talking-head":
            names.append(AVATAR_ENGINE)
        else:
            mode = engine_board.ENGINE_VISUALS[scene.visual]
            names.append(scene.engine or default_engine(mode, engine_settings()) or "")  # type: ignore[arg-type]
    return names


def _scene_frames(board: engine_board.Storyboard) -> list[int]:
    """Each scene's length in frames, where its footage follows it; 0 elsewhere.

    Only the footage of some visuals depends on how long its scene lasts (camera motion
    follows the whole scene; an engine's clip is fitted to it later). A scene's length comes
    from its voice, so the voices are made here only when some footage needs them."""
    needs = [
        scene.visual not in CARD_VISUALS and _follows_length(scene, board) for scene in board.scenes
    ]
    if not any(needs):
        return [0] * len(board.scenes)
    with (
        tempfile.TemporaryDirectory(prefix="reelsmith-render-") as tmp,
        refused_as("bad_voiceover"),
    ):
        plan = pipeline.plan_timeline(board, pipeline.make_voices(board, Path(tmp)))
    # The brand's open and close are cards of the plan, not scenes of the storyboard.
    first = 1 if board.intro is not None else 0
    own = plan.scenes[first : first + len(board.scenes)]
    return [t.frames if need else 0 for t, need in zip(own, needs, strict=True)]


def _follows_length(scene: engine_board.Scene, board: engine_board.Storyboard) -> bool:
    # The footage's key names everything its engine sees: if the scene's length changes the
    # key, it changes the footage.
    aspect = board.aspects[0]
    return pipeline.footage_key(scene, board=board, aspect=aspect, frames=1) != (
        pipeline.footage_key(scene, board=board, aspect=aspect, frames=2)
    )


def scene_job_create(storyboard: Storyboard, user: User, footage: Footage) -> Job:
    """A scene's footage job, not yet sent. Its row records the frame it is made for; the
    worker reads what to make from its render's scene rows (see studio.worker.storyboard)."""
    scene = footage.scene
    return Job.objects.create(
        workspace=storyboard.workspace,
        project=storyboard.project,
        created_by=user,
        mode=Job.Mode.STORYBOARD_SCENE,
        engine=footage.engine,
        queue=footage.queue,
        prompt=scene.prompt or scene.voiceover,
        width=footage.size[0],
        height=footage.size[1],
        num_frames=footage.frames or pipeline.ENGINE_FRAMES,
        fps=engine_board.FPS,
        steps=0,  # the engine's own
        guidance=0.0,
        seed=footage.seed,
        generation_key=footage.key,
        held=holding(),
        details={"visual": scene.visual, "storyboard": storyboard.pk},
    )


def _job_copy(old: Job, user: User) -> Job:
    """A new scene job making the same footage as ``old``."""
    fields = {
        f.name: getattr(old, f.name)
        for f in Job._meta.concrete_fields
        if f.name
        in (
            "workspace",
            "project",
            "mode",
            "engine",
            "queue",
            "prompt",
            "width",
            "height",
            "num_frames",
            "fps",
            "steps",
            "guidance",
            "seed",
            "generation_key",
            "details",
        )
    }
    return Job.objects.create(**fields, created_by=user, rerun_of=old, held=holding())


def quota_check(storyboard: Storyboard, queues: list[str]) -> None:
    """Refuse the render when its jobs would pass the workspace's cap of active jobs, or a kind
    of worker it needs has no time left this month (the lock lasts until the commit)."""
    usage = quota_lock(workspace=storyboard.workspace)
    if usage.active + len(queues) > usage.max_active:
        raise ValidationError(
            f"This render needs {len(queues):,} jobs, but the workspace has {usage.active:,} "
            f"active jobs of the {usage.max_active:,} it may have at once; wait for some to "
            "finish.",
            code="too_many_active_jobs",
        )
    for queue in sorted(set(queues)):
        kind = usage.kinds[selectors.queue_kind(queue)]
        if kind.left <= 0:
            raise ValidationError(
                f"This month's {kind.label} time is used: {kind.used:,} of {kind.quota:,} "
                f"worker-seconds; {kind.left:,} left.",
                code="quota_used",
            )


def _engine_queue(name: str) -> str:
    """The queue whose workers run the engine (talking heads: the cpu queue, as their jobs)."""
    if name == AVATAR_ENGINE:
        return "cpu"
    with refused_as("unknown_engine"):
        return get_engine_info(name, engine_settings()).queue
