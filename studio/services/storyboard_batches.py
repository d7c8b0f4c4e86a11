"""Storyboard templates and their CSV batches: one finished storyboard video per row.

A storyboard saved as a template keeps its settings and scenes as they were (later edits to
the storyboard do not change it); ``{placeholders}`` may stand in any scene's voiceover,
on-screen text or prompt. A batch of it fills one storyboard per row and renders each
(services.storyboard_render), but the footage of the whole batch is planned together: a scene
whose inputs hold no placeholder has the same footage key on every row, so it is made by one
job that every row's render waits on, and only the scenes that change are made per row. A
row's voice lines that are the same as another row's are spoken once per worker
(generation.pipelines.storyboard.make_voices keeps the last ones it spoke).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from generation.storyboard import board as engine_board
from studio import placeholders, selectors
from studio.models import (
    Batch,
    BatchRow,
    Storyboard,
    StoryboardRender,
    StoryboardRenderScene,
    StoryboardScene,
    Template,
)
from studio.queueing import send_on_commit
from studio.services.quotas import quota_lock
from studio.services.storyboard_render import (
    Footage,
    RenderPlan,
    quota_check,
    render_plan,
    scene_job_create,
    storyboard_render,
    storyboard_render_cancel,
)
from studio.services.templates import template_fields_for
from studio.worker.storyboard import assembly_start, render_announce

# What a template keeps of the storyboard and of each scene (the scenes' three texts may hold
# placeholders; the rest is copied as it is).
SETTINGS_KEPT = (
    "title",
    "voice",
    "speed",
    "music",
    "music_asset_id",
    "music_db",
    "captions",
    "transition",
    "aspects",
    "style",
    "brand_intro",
    "brand_intro_text",
    "brand_outro",
    "brand_outro_text",
)
SCENE_KEPT = (
    "visual",
    "title",
    "voiceover",
    "on_screen_text",
    "prompt",
    "engine",
    "image_id",
    "avatar_id",
    "transition",
    "duration",
    "analysis",
    "sound",
)
PLACEHOLDER_TEXTS = ("voiceover", "on_screen_text", "prompt")
ON_SCREEN_TEXT_MAX = StoryboardScene._meta.get_field("on_screen_text").max_length or 200


def template_scene_texts(template: Template) -> list[str]:
    """Every text of a storyboard template's scenes that may hold a placeholder."""
    return [scene[name] for scene in template.board.get("scenes", []) for name in PLACEHOLDER_TEXTS]


def storyboard_template_create(*, storyboard: Storyboard, user: User, name: str) -> Template:
    """Save a storyboard as a template of its workspace (kind: storyboard). Placeholders
    written in its scenes' voiceovers, on-screen texts and prompts become its fields."""
    scenes = selectors.storyboard_scenes(storyboard=storyboard)
    if not scenes:
        raise ValidationError("The storyboard has no scenes; add one first.", code="no_scenes")
    aspects = storyboard.aspects or [Template.Aspect.LANDSCAPE]
    width, height = engine_board.frame_size(aspects[0], settings.STORYBOARD_SHORT_SIDE)
    template = Template(
        workspace_id=storyboard.workspace_id,
        name=name.strip()[:100] or storyboard.title[:100],
        created_by=user,
        source_storyboard=storyboard,
        mode=Template.Mode.STORYBOARD,
        prompt=storyboard.title,
        voice=storyboard.voice,
        speed=storyboard.speed,
        aspect=aspects[0],
        width=width,
        height=height,
        num_frames=0,  # a storyboard's length follows its voices
        fps=engine_board.FPS,
        board={
            "settings": {key: getattr(storyboard, key) for key in SETTINGS_KEPT},
            "scenes": [{key: getattr(scene, key) for key in SCENE_KEPT} for scene in scenes],
        },
    )
    template.fields = placeholders.check_fields(
        template_fields_for(texts=template_scene_texts(template), fields=[])
    )
    template.save()
    return template


def template_scene_summary(*, template: Template) -> list[dict[str, Any]]:
    """Each scene of a storyboard template with the placeholders its texts use (none: the
    scene is made once for a whole batch)."""
    return [
        {
            "number": number,
            **scene,
            "placeholders": placeholders.names_in(*(scene[name] for name in PLACEHOLDER_TEXTS)),
        }
        for number, scene in enumerate(template.board.get("scenes", []), start=1)
    ]


def template_storyboard(
    *, template: Template, values: dict[str, str], batch: Batch | None = None
) -> tuple[Storyboard, list[StoryboardScene]]:
    """The template's storyboard with ``values`` filled in, not saved. ValidationError names
    the scene whose filled text is too long, or a placeholder with no value."""
    kept = template.board["settings"]
    assert template.workspace_id is not None  # a storyboard template is a workspace's own
    _check_uploads_present(template)
    storyboard = Storyboard(
        workspace_id=template.workspace_id,
        batch=batch,
        created_by_id=batch.created_by_id if batch else None,
        source_text="",
        # A template saved before a setting existed leaves it at its default.
        **{key: kept[key] for key in SETTINGS_KEPT if key in kept},
    )
    if batch is not None and batch.aspects:
        storyboard.aspects = list(batch.aspects)
    scenes = []
    for position, kept_scene in enumerate(template.board["scenes"]):
        scene = StoryboardScene(
            storyboard=storyboard,
            position=position,
            **{k: kept_scene[k] for k in SCENE_KEPT if k in kept_scene},
        )
        for name in PLACEHOLDER_TEXTS:
            setattr(scene, name, placeholders.fill(getattr(scene, name), values))
        if len(scene.on_screen_text) > ON_SCREEN_TEXT_MAX:
            raise ValidationError(
                f"scene {position + 1}'s on-screen text is {len(scene.on_screen_text)} "
                f"characters once filled; the limit is {ON_SCREEN_TEXT_MAX}.",
                code="text_too_long",
            )
        scenes.append(scene)
    return storyboard, scenes


def _check_uploads_present(template: Template) -> None:
    """ValidationError naming the scene whose image or avatar (or the music) the workspace no
    longer has: deleted since the template was saved."""
    assert template.workspace_id is not None
    kept, scenes = template.board["settings"], template.board["scenes"]
    images = {s["image_id"] for s in scenes if s.get("image_id")}
    music = kept.get("music_asset_id") if kept.get("music") == Storyboard.Music.UPLOAD else None
    avatars = {s["avatar_id"] for s in scenes if s.get("avatar_id")}
    assets_here, avatars_here = selectors.uploads_present(
        workspace_id=template.workspace_id,
        asset_ids=images | ({music} if music else set()),
        avatar_ids=avatars,
    )
    again = "pick another in the storyboard and save it as a template again."
    for number, scene in enumerate(scenes, start=1):
        if scene.get("image_id") and scene["image_id"] not in assets_here:
            raise ValidationError(
                f"Scene {number}'s image was deleted from the workspace; {again}",
                code="upload_deleted",
            )
        if scene.get("avatar_id") and scene["avatar_id"] not in avatars_here:
            raise ValidationError(
                f"Scene {number}'s avatar was deleted from the workspace; {again}",
                code="upload_deleted",
            )
    if music and music not in assets_here:
        raise ValidationError(
            f"The music file was deleted from the workspace; {again}", code="upload_deleted"
        )


@dataclass(frozen=True)
class BatchPlan:
    """What a storyboard batch makes: its scene renders (footage not stored yet, each key
    once for the whole batch) against one per row, scene and aspect."""

    rows: int
    scenes: int
    aspects: int
    renders: int  # scene renders to queue
    shared: int  # of them, footage every row plays (its scene holds no placeholder)
    cards: int  # card scenes per video: drawn in each row's assembly, not queued

    @property
    def naive(self) -> int:
        return self.rows * self.scenes * self.aspects


def storyboard_batch_plan(*, batch: Batch) -> BatchPlan:
    """Count what launching the batch would queue; nothing is stored. ValidationError names
    the first row that cannot be made."""
    _, plans, footage = _plan_rows(batch, list(batch.rows.all()))
    return _counts(batch, plans, footage)


def _counts(batch: Batch, plans: list[RenderPlan], footage: dict[str, Footage]) -> BatchPlan:
    stored = set(selectors.generation_keys_stored(workspace=batch.workspace, keys=list(footage)))
    uses: dict[str, int] = {}
    for plan in plans:
        for key in {row.footage_key for row in plan.rows if row.footage_key}:
            uses[key] = uses.get(key, 0) + 1
    to_make = [key for key in footage if key not in stored]
    first = plans[0] if plans else None
    return BatchPlan(
        rows=len(plans),
        scenes=len(template_scene_summary(template=batch.template)),
        aspects=len(first.aspects) if first else 0,
        renders=len(to_make),
        shared=sum(1 for key in to_make if len(plans) > 1 and uses[key] == len(plans)),
        cards=sum(1 for row in first.rows if not row.footage_key) if first else 0,
    )


def _plan_rows(
    batch: Batch, rows: list[BatchRow]
) -> tuple[list[tuple[Storyboard, list[StoryboardScene]]], list[RenderPlan], dict[str, Footage]]:
    """Every row's filled storyboard and render plan, and the footage of all of them by key."""
    boards = []
    plans = []
    footage: dict[str, Footage] = {}
    for row in rows:
        try:
            storyboard, scenes = template_storyboard(
                template=batch.template, values=row.values, batch=batch
            )
            plan = render_plan(
                storyboard=storyboard, scenes=scenes, short_side=settings.STORYBOARD_SHORT_SIDE
            )
        except ValidationError as exc:
            raise ValidationError(
                f"Row {row.number}: {' '.join(exc.messages)}", code="bad_row"
            ) from None
        boards.append((storyboard, scenes))
        plans.append(plan)
        for key, made in plan.footage.items():
            footage.setdefault(key, made)
    return boards, plans, footage


def storyboard_batch_launch(*, batch: Batch, user: User) -> Batch:
    """Fill and store one storyboard per row and render each: one job per footage the batch
    needs (shared scenes once for every row), each row's assembly once its scenes are made.
    Every row is checked first: a row that cannot be made stops the launch, nothing queued."""
    with transaction.atomic():
        # The workspace's row first, as every launch and submission takes it.
        quota_lock(workspace=batch.workspace)
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != Batch.Status.DRAFT:
            return locked
        rows = list(locked.rows.all())
        boards, plans, footage = _plan_rows(locked, rows)
        stored = set(
            selectors.generation_keys_stored(workspace=locked.workspace, keys=list(footage))
        )
        to_make = [made for key, made in footage.items() if key not in stored]
        if boards:
            assemblies = sum(len(plan.aspects) for plan in plans)
            quota_check(boards[0][0], [made.queue for made in to_make] + ["cpu"] * assemblies)

        # 1. The rows' storyboards and scenes, as filled.
        for (storyboard, _), row in zip(boards, rows, strict=True):
            storyboard.title = f"{locked.template.name[:180]} \u00b7 row {row.number}"
            storyboard.save()
        for storyboard, scenes in boards:
            for scene in scenes:
                scene.storyboard = storyboard  # now saved: its id is known
        StoryboardScene.objects.bulk_create(scene for _, scenes in boards for scene in scenes)
        saved = {
            (scene.storyboard_id, scene.position): scene
            for scene in StoryboardScene.objects.filter(storyboard__batch=locked)
        }

        # 2. One job per footage to make, whichever rows play it.
        first = boards[0][0] if boards else None
        jobs = {made.key: scene_job_create(first, user, made) for made in to_make} if first else {}
        renders = []
        parts: list[StoryboardRenderScene] = []
        for (storyboard, _), plan, row in zip(boards, plans, rows, strict=True):
            render = StoryboardRender.objects.create(
                storyboard=storyboard, created_by=user, short_side=settings.STORYBOARD_SHORT_SIDE
            )
            for part in plan.rows:
                part.render = render
                part.scene = saved[(storyboard.pk, part.position)]
                part.job = jobs.get(part.footage_key)
                parts.append(part)
            row.render = render
            row.attempts = 1
            renders.append(render)
        StoryboardRenderScene.objects.bulk_create(parts)
        BatchRow.objects.bulk_update(rows, ["render", "attempts"])
        for job in jobs.values():
            send_on_commit(job)
        for render in renders:  # a row whose footage is all stored assembles at once
            assembly_start(render_id=render.pk)
        locked.status = Batch.Status.LAUNCHED
        locked.launched_at = timezone.now()
        locked.save(update_fields=["status", "launched_at"])
        ids = [render.pk for render in renders]
        transaction.on_commit(lambda: _announce(ids))
    return locked


def _announce(render_ids: list[int]) -> None:
    for render_id in render_ids:
        render_announce(render_id)


def storyboard_batch_retry_failed(*, batch: Batch, user: User) -> list[BatchRow]:
    """Render again each row whose render failed; the footage already made (the shared
    scenes') is reused, so only what failed is made again."""
    retried: list[BatchRow] = []
    for row in batch.rows.select_related("render__storyboard").filter(render__isnull=False):
        assert row.render is not None
        if selectors.storyboard_render_progress(render=row.render)["status"] != "failed":
            continue
        with transaction.atomic():
            row.render = storyboard_render(storyboard=row.render.storyboard, user=user)
            row.job = None
            row.attempts += 1
            row.save(update_fields=["render", "job", "attempts"])
        retried.append(row)
    if retried and batch.status == Batch.Status.CANCELLED:
        Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.LAUNCHED)
    return retried


def storyboard_batch_cancel(*, batch: Batch) -> int:
    """Cancel every row's render still going; finished videos are kept."""
    cancelled = 0
    active = [StoryboardRender.Status.RENDERING, StoryboardRender.Status.ASSEMBLING]
    for render in StoryboardRender.objects.filter(batch_rows__batch=batch, status__in=active):
        try:
            storyboard_render_cancel(render=render)
        except ValidationError:
            continue  # it ended meanwhile
        cancelled += 1
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CANCELLED)
    return cancelled
