"""Writes. Every change to the studio's data goes through a function here.

Views, consumers and tasks parse input, check permission and call one of these.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image, ImageOps

from generation import (
    Cancelled,
    EngineUnavailable,
    VideoRequest,
    VideoResult,
    limits,
    overlays,
    render,
)
from generation.engines import check_engine_request, default_engine, get_engine_info
from studio import live, placeholders, selectors
from studio.batches import ParsedCsv
from studio.models import (
    Asset,
    Avatar,
    Batch,
    BatchRow,
    BrandKit,
    Generation,
    Job,
    Membership,
    Project,
    Template,
    Video,
    Workspace,
)

logger = logging.getLogger(__name__)


# Workspaces ---------------------------------------------------------------------------------


def workspace_ensure_personal(*, user: User) -> Workspace:
    """Give a user who belongs to no workspace a personal one; return their first workspace."""
    membership = Membership.objects.filter(user=user).select_related("workspace").first()
    if membership:
        return membership.workspace
    with transaction.atomic():
        name = f"{user.get_username()}'s workspace"
        workspace, _ = Workspace.objects.get_or_create(personal_for=user, defaults={"name": name})
        Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={"role": Membership.Role.OWNER}
        )
    return workspace


def workspace_create(*, name: str, owner: User) -> Workspace:
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name)
        Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    return workspace


def membership_add(
    *, workspace: Workspace, user: User, role: str = Membership.Role.EDITOR
) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    return membership


def membership_remove(*, membership: Membership) -> None:
    """Remove a member; a workspace always keeps at least one owner."""
    if membership.role == Membership.Role.OWNER:
        owners = Membership.objects.filter(
            workspace_id=membership.workspace_id, role=Membership.Role.OWNER
        )
        if owners.count() == 1:
            raise ValueError("A workspace needs an owner; make someone else owner first.")
    membership.delete()


def project_get_or_create(*, workspace: Workspace, name: str) -> Project:
    project, _ = Project.objects.get_or_create(workspace=workspace, name=name.strip())
    return project


# Uploads ------------------------------------------------------------------------------------


def asset_create(
    *, workspace: Workspace, user: User, upload: UploadedFile, image: Image.Image
) -> Asset:
    """Store an upload that forms.clean_image already opened and checked."""
    upload.seek(0)
    fmt = (image.format or "").lower()
    asset = Asset(
        workspace=workspace,
        uploaded_by=user,
        original_name=(upload.name or "image")[:255],
        content_type=Image.MIME.get(image.format or "", "application/octet-stream"),
        width=image.width,
        height=image.height,
        size_bytes=upload.size or 0,
    )
    asset.file.save(f"{secrets.token_hex(8)}.{'jpg' if fmt == 'jpeg' else fmt}", upload, save=False)
    asset.save()
    return asset


# Avatars ---------------------------------------------------------------------------------------


def avatar_create(
    *, workspace: Workspace, user: User, name: str, upload: UploadedFile, image: Image.Image
) -> Avatar:
    """Store a portrait as an avatar if it shows one face big enough; otherwise raise
    ValidationError with the reason, and store nothing."""
    from generation.avatar import face

    try:
        found = face.find_face(np.asarray(ImageOps.exif_transpose(image).convert("RGB")))
    except face.FaceError as exc:
        raise ValidationError(str(exc), code="unusable_portrait") from None
    with transaction.atomic():
        asset = asset_create(workspace=workspace, user=user, upload=upload, image=image)
        return Avatar.objects.create(
            workspace=workspace,
            name=name,
            image=asset,
            face_box=list(found.box),
            created_by=user,
        )


def avatar_rename(*, avatar: Avatar, name: str) -> Avatar:
    name = name.strip()
    if not name:
        raise ValidationError("Give the avatar a name.", code="name_required")
    avatar.name = name[:100]
    avatar.save(update_fields=["name"])
    return avatar


def avatar_delete(*, avatar: Avatar) -> None:
    """Remove an avatar from the library. Its videos, and jobs still queued with it, keep the
    portrait (an upload of the workspace's)."""
    avatar.delete()


@dataclass(frozen=True)
class AvatarParams:
    """A validated request from the avatar script editor (see forms.AvatarVideoForm)."""

    script: str
    voice: str
    speed: float
    captions: str
    width: int
    height: int
    fps: int = 25
    seed: int | None = None


def avatar_job_submit(
    *,
    workspace: Workspace,
    user: User,
    avatar: Avatar,
    params: AvatarParams,
    project: Project | None = None,
    rerun_of: Job | None = None,
    template: Template | None = None,
    overlays: dict[str, Any] | None = None,
    send: bool = True,
) -> Job:
    """Store a queued talking-head job and send it to the CPU queue once committed. The
    script and voice are checked here, so a bad one never reaches a worker. ``template``,
    ``overlays`` and ``send`` as for job_submit."""
    from generation.avatar import script, tts
    from generation.pipelines import avatar as pipeline

    text = script.check_script(params.script)
    tts.check_voice(params.voice)
    with transaction.atomic():
        job = Job(
            workspace=workspace,
            project=project,
            created_by=user,
            rerun_of=rerun_of,
            template=template,
            overlays=overlays or {},
            mode=Job.Mode.AVATAR,
            engine=pipeline.ENGINE,
            queue="cpu",
            prompt=text,
            image=avatar.image,
            avatar=avatar,
            script=text,
            voice=params.voice,
            speed=params.speed,
            captions=params.captions,
            width=params.width,
            height=params.height,
            num_frames=0,  # known once the voice has spoken
            fps=params.fps,
            steps=0,
            guidance=0.0,
            seed=params.seed if params.seed is not None else random_seed(),
        )
        job.save()
        if not send:
            return job

        def announce_and_enqueue() -> None:
            _broadcast_state(job)
            _enqueue(job.pk, job.queue)

        transaction.on_commit(announce_and_enqueue)
    return job


def voice_preview(*, script: str, voice: str, speed: float) -> bytes:
    """The script spoken by ``voice``, as WAV bytes, to hear before generating."""
    from generation.avatar import tts
    from generation.avatar.script import check_script

    speech = tts.speak(check_script(script), voice=voice, speed=speed)
    with tempfile.TemporaryDirectory(prefix="reelsmith-voice-") as tmp:
        return tts.write_wav(speech, Path(tmp) / "voice.wav").read_bytes()


# Brand kit ------------------------------------------------------------------------------------


def brand_kit_update(
    *,
    workspace: Workspace,
    primary_color: str,
    text_color: str,
    accent_color: str,
    font: str,
    lower_third_style: str,
    end_card_style: str,
    logo: UploadedFile | None = None,
    logo_image: Image.Image | None = None,
    remove_logo: bool = False,
) -> BrandKit:
    """Save the workspace's brand kit. A logo comes already checked (forms.check_image)."""
    kit, _ = BrandKit.objects.get_or_create(workspace=workspace)
    kit.primary_color = primary_color
    kit.text_color = text_color
    kit.accent_color = accent_color
    kit.font = font
    kit.lower_third_style = lower_third_style
    kit.end_card_style = end_card_style
    if (remove_logo or logo is not None) and kit.logo:
        kit.logo.delete(save=False)
    if logo is not None and logo_image is not None:
        fmt = (logo_image.format or "png").lower()
        logo.seek(0)
        kit.logo.save(
            f"logo-{secrets.token_hex(4)}.{'jpg' if fmt == 'jpeg' else fmt}", logo, save=False
        )
    kit.save()
    return kit


# Jobs: submitting and controlling ---------------------------------------------------------------


@dataclass(frozen=True)
class JobParams:
    """A validated request from the prompt editor (see forms.JobForm)."""

    mode: str
    engine: str
    prompt: str
    negative_prompt: str
    width: int
    height: int
    num_frames: int
    fps: int
    steps: int
    guidance: float
    seed: int | None
    motion: str = "auto"
    preset: str = "quality"  # "fast" where the engine offers it (EngineInfo.presets)


def random_seed() -> int:
    return secrets.randbelow(2**31)


def job_submit(
    *,
    workspace: Workspace,
    user: User,
    params: JobParams,
    image: Asset | None = None,
    project: Project | None = None,
    rerun_of: Job | None = None,
    template: Template | None = None,
    overlays: dict[str, Any] | None = None,
    send: bool = True,
) -> Job:
    """Store a queued job and send it to its engine's queue once the row is committed.

    With ``send=False`` the caller announces and sends it (see batch_launch, which sends the
    rows that share footage in one message)."""
    info = get_engine_info(params.engine, selectors.engine_settings())
    if not info.available:
        raise EngineUnavailable(f"{info.label} is unavailable: {info.reason}")
    if params.mode not in info.modes:
        raise ValueError(f"{info.label} cannot make {params.mode} videos.")
    if params.mode == "image-to-video" and image is None:
        raise ValueError("Image-to-video needs an image.")
    # A model folder's own limits (frame counts, rates), refused here rather than on a worker.
    check_engine_request(params.engine, _params_request(params), selectors.engine_settings())
    with transaction.atomic():
        job = Job(
            workspace=workspace,
            project=project,
            created_by=user,
            rerun_of=rerun_of,
            template=template,
            overlays=overlays or {},
            mode=params.mode,
            engine=params.engine,
            queue=info.queue,
            prompt=params.prompt,
            negative_prompt=params.negative_prompt,
            image=image if params.mode == "image-to-video" else None,
            motion=params.motion,
            width=params.width,
            height=params.height,
            num_frames=params.num_frames,
            fps=params.fps,
            steps=params.steps,
            guidance=params.guidance,
            seed=params.seed if params.seed is not None else random_seed(),
            preset=params.preset,
        )
        job.generation_key = generation_key(job)
        job.save()
        if not send:
            return job

        # Announce the job before queueing it: once queued, a worker may report it running at
        # any moment, and a late "queued" message would then show a stale state.
        def announce_and_enqueue() -> None:
            _broadcast_state(job)
            _enqueue(job.pk, info.queue)

        transaction.on_commit(announce_and_enqueue)
    return job


def generation_key(job: Job) -> str:
    """A hash of everything the engine sees. Jobs with equal keys make the same footage
    (a seed fixes the noise), so they can share one generation."""
    request = {
        "engine": job.engine,
        "mode": job.mode,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "image": job.image_id,  # one upload; a batch's rows share it
        "motion": job.motion,
        "size": [job.width, job.height],
        "frames": job.num_frames,
        "fps": job.fps,
        "steps": job.steps,
        "guidance": job.guidance,
        "seed": job.seed,
    }
    if job.preset != Job.Preset.QUALITY:  # keeps the keys of jobs made before presets
        request["preset"] = job.preset
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _params_request(params: JobParams) -> VideoRequest:
    return VideoRequest(
        prompt=params.prompt,
        mode=params.mode,  # type: ignore[arg-type]
        negative_prompt=params.negative_prompt,
        width=params.width,
        height=params.height,
        num_frames=params.num_frames,
        fps=params.fps,
        steps=params.steps,
        guidance=params.guidance,
        seed=params.seed or 0,
        motion=params.motion,
        preset=params.preset,
    )


def _enqueue(job_id: int, queue: str) -> None:
    """Send the job's message. If the broker is down the job stays queued, unsent, and
    jobs_requeue_lost sends it once the broker answers again."""
    from studio.tasks import run_job

    try:
        result = run_job.apply_async(args=(job_id,), queue=queue, retry=False)
    except Exception:  # kombu raises many kinds of connection error
        logger.warning("job %s: the queue is unreachable; it will be sent later", job_id)
        Job.objects.filter(pk=job_id).update(stage="waiting for the queue")
        return
    Job.objects.filter(pk=job_id).update(celery_task_id=result.id, enqueued_at=timezone.now())


SHARED_MESSAGE_JOBS = 100  # at most this many jobs in one message, so other workers can help


def _enqueue_shared(jobs: list[Job]) -> None:
    """Send jobs whose generation request is the same (rows of a batch that differ only in
    their overlays) in one message each, so one worker makes the footage once and draws every
    row's overlays on it; other jobs go one per message."""
    groups: dict[tuple[str, str], list[int]] = {}
    for job in jobs:
        key = job.generation_key if job.overlays and job.generation_key else f"job-{job.pk}"
        groups.setdefault((job.queue, key), []).append(job.pk)
    for (queue, _), ids in groups.items():
        for start in range(0, len(ids), SHARED_MESSAGE_JOBS):
            chunk = ids[start : start + SHARED_MESSAGE_JOBS]
            if len(chunk) == 1:
                _enqueue(chunk[0], queue)
            else:
                _enqueue_together(chunk, queue)


def _enqueue_together(job_ids: list[int], queue: str) -> None:
    from studio.tasks import run_jobs

    try:
        result = run_jobs.apply_async(args=(job_ids,), queue=queue, retry=False)
    except Exception:  # as in _enqueue: jobs_requeue_lost sends them later, one by one
        logger.warning("jobs %s..: the queue is unreachable; they will be sent later", job_ids[0])
        Job.objects.filter(pk__in=job_ids).update(stage="waiting for the queue")
        return
    Job.objects.filter(pk__in=job_ids).update(celery_task_id=result.id, enqueued_at=timezone.now())


def jobs_requeue_lost(*, in_broker: set[str] | None, grace_seconds: float = 30) -> list[int]:
    """Send again the queued jobs whose message is gone.

    A message is gone when it was never sent (the broker was down) or, where the broker can
    be inspected (``in_broker`` holds the task ids it has queued or in flight), when it is not
    there: a Redis that restarted without persistence forgets its queues. The grace period
    covers a message that is being sent or taken right now. A job sent twice still runs once
    (see job_start).
    """
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    stale = Job.objects.filter(status=Job.Status.QUEUED, created_at__lte=cutoff)
    resent: list[int] = []
    for job in stale.only("pk", "queue", "celery_task_id", "enqueued_at"):
        never_sent = job.enqueued_at is None
        lost = (
            in_broker is not None
            and job.enqueued_at is not None
            and (job.enqueued_at <= cutoff and job.celery_task_id not in in_broker)
        )
        if never_sent or lost:
            _enqueue(job.pk, job.queue)
            resent.append(job.pk)
    return resent


def job_cancel(*, job: Job) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next step."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.is_final:
            return job
        job.cancel_requested = True
        if job.status == Job.Status.QUEUED:
            _mark_final(job, Job.Status.CANCELLED, stage="cancelled")
        else:
            job.stage = "cancelling"
        job.save()
    _broadcast_state(job)
    return job


def job_rerun(*, job: Job, user: User, same_seed: bool) -> Job:
    """Queue a new job with the same settings, and the same seed or a new one."""
    if job.mode == Job.Mode.AVATAR:
        if job.avatar is None:
            raise ValueError("This talking head's avatar was deleted; it cannot be made again.")
        return avatar_job_submit(
            workspace=job.workspace,
            user=user,
            avatar=job.avatar,
            params=AvatarParams(
                script=job.script,
                voice=job.voice,
                speed=job.speed,
                captions=job.captions,
                width=job.width,
                height=job.height,
                fps=job.fps,
                seed=job.seed if same_seed else random_seed(),
            ),
            project=job.project,
            rerun_of=job,
        )
    params = JobParams(
        mode=job.mode,
        engine=job.engine,
        prompt=job.prompt,
        negative_prompt=job.negative_prompt,
        width=job.width,
        height=job.height,
        num_frames=job.num_frames,
        fps=job.fps,
        steps=job.steps,
        guidance=job.guidance,
        seed=job.seed if same_seed else random_seed(),
        motion=job.motion,
        preset=job.preset,
    )
    return job_submit(
        workspace=job.workspace,
        user=user,
        params=params,
        image=job.image,
        project=job.project,
        rerun_of=job,
        template=job.template,
        overlays=job.overlays,
    )


# Templates ------------------------------------------------------------------------------------


def _template_texts(template: Template) -> list[str]:
    return [
        template.prompt,
        template.negative_prompt,
        template.script,
        *placeholders.overlay_texts(template.overlays),
    ]


def _template_check(template: Template) -> None:
    """Validate the field definitions and that every placeholder is one of them."""
    template.fields = placeholders.check_fields(template.fields)
    placeholders.check_known(_template_texts(template), template.fields)


def _template_check_preset(engine_name: str, preset: str) -> None:
    """Refuse a preset the template's engine does not offer, saying which ones it does."""
    if preset == Job.Preset.QUALITY:
        return
    offered = selectors.engine_presets(engine_name)
    if preset not in offered:
        raise ValidationError(
            "%(engine)s has no %(preset)s preset here; it offers %(offered)s.",
            code="preset_unavailable",
            params={
                "engine": engine_name,
                "preset": Job.Preset(preset).label,
                "offered": ", ".join(Job.Preset(p).label for p in offered),
            },
        )


def template_fields_for(*, texts: list[str], fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fields that the texts' placeholders need: existing definitions are kept, new
    placeholders get a required one-line text field, and unused definitions are dropped."""
    known = {f["name"]: f for f in fields}
    return [known.get(name, {"name": name}) for name in placeholders.names_in(*texts)]


def template_create_from_job(*, job: Job, user: User, name: str) -> Template:
    """Save a finished job's recipe as a template of its workspace, to edit and reuse.

    Placeholders already written in the job's prompt (``{company}``) become fields.
    """
    template = Template(
        workspace_id=job.workspace_id,
        name=name.strip()[:100] or f"From job {job.pk}",
        created_by=user,
        source_job=job,
        mode=job.mode,
        engine=job.engine,
        prompt=job.prompt,
        negative_prompt=job.negative_prompt,
        motion=job.motion,
        aspect=_aspect_of(job.width, job.height),
        width=job.width,
        height=job.height,
        num_frames=job.num_frames,
        fps=job.fps,
        steps=job.steps,
        guidance=job.guidance,
        seed=job.seed,
        preset=job.preset,
        overlays=job.template.overlays if job.template else {},
    )
    if job.mode == Job.Mode.AVATAR:
        # A talking head's recipe is its script and voice; the presenter is picked per use.
        template.script, template.voice, template.speed = job.script, job.voice, job.speed
        template.prompt = job.template.prompt if job.template else "a presenter facing the camera"
    template.fields = template_fields_for(texts=_template_texts(template), fields=[])
    _template_check(template)
    template.save()
    return template


def _aspect_of(width: int, height: int) -> str:
    if width > height:
        return Template.Aspect.LANDSCAPE
    return Template.Aspect.PORTRAIT if height > width else Template.Aspect.SQUARE


def template_update(
    *,
    template: Template,
    name: str,
    description: str,
    prompt: str,
    negative_prompt: str,
    script: str,
    overlays: dict[str, Any],
    fields: list[dict[str, Any]] | None = None,
    preset: str | None = None,
    voice: str | None = None,
    speed: float | None = None,
) -> Template:
    """Edit a workspace's template; its fields follow the placeholders its texts use, with
    the definitions given in ``fields`` (else the current ones) for those that have one.

    ``preset`` (None keeps the current one) must be one the template's engine offers here;
    ``voice`` ("" for the default voice) and ``speed`` are a talking head's (None keeps them).
    """
    if template.is_builtin:
        raise ValueError("Built-in templates cannot be edited; save a copy to your workspace.")
    if preset is not None and preset != template.preset:
        _template_check_preset(template.engine, preset)
        template.preset = preset
    if voice is not None and voice != template.voice:
        if voice:
            from generation.avatar import tts

            try:
                tts.check_voice(voice)
            except (ValueError, tts.VoiceUnavailable) as exc:
                raise ValidationError(str(exc), code="voice_unavailable") from None
        template.voice = voice
    if speed is not None:
        if not limits.MIN_SPEED <= speed <= limits.MAX_SPEED:
            raise ValidationError(
                "The voice's speed must be from %(low)s to %(high)s.",
                code="bad_speed",
                params={"low": limits.MIN_SPEED, "high": limits.MAX_SPEED},
            )
        template.speed = speed
    template.name = name.strip()[:100]
    template.description = description
    template.prompt = prompt
    template.negative_prompt = negative_prompt
    template.script = script
    template.overlays = overlays
    template.fields = template_fields_for(
        texts=_template_texts(template),
        fields=fields if fields is not None else template.fields,
    )
    _template_check(template)
    template.save()
    return template


def template_params(
    *, template: Template, values: dict[str, str], seed: int | None = None
) -> tuple[JobParams, dict[str, Any]]:
    """The job parameters and overlay texts of a template filled with a user's values.

    Raises ValidationError naming missing, too long or unknown placeholders, and
    EngineUnavailable when nothing here can make the template's kind of video.
    """
    values = placeholders.check_values(placeholders.check_fields(template.fields), values)
    prompt = placeholders.fill(template.prompt, values)
    if len(prompt) > limits.MAX_PROMPT_CHARS:
        raise ValidationError(
            "The filled prompt is %(length)s characters long; the limit is %(limit)s.",
            code="prompt_too_long",
            params={"length": len(prompt), "limit": limits.MAX_PROMPT_CHARS},
        )
    overlays = placeholders.fill_all(template.overlays, values)
    if template.mode == Template.Mode.AVATAR:
        return _template_avatar_params(template, values, seed), overlays
    engine = template.engine or default_engine(template.mode, selectors.engine_settings())  # type: ignore[arg-type]
    if not engine:
        raise EngineUnavailable(
            f"No {template.get_mode_display().lower()} engine is installed on this server."
        )
    params = JobParams(
        mode=template.mode,
        engine=engine,
        prompt=prompt,
        negative_prompt=placeholders.fill(template.negative_prompt, values),
        width=template.width,
        height=template.height,
        num_frames=template.num_frames,
        fps=template.fps,
        steps=template.steps,
        guidance=template.guidance,
        seed=template.seed if seed is None else seed,
        motion=template.motion,
        preset=template.preset,
    )
    return params, overlays


def _template_avatar_params(
    template: Template, values: dict[str, str], seed: int | None
) -> JobParams:
    """A talking-head template filled: its script, spoken by the presenter the user picks."""
    from generation.avatar.script import check_script
    from generation.pipelines import avatar as pipeline

    try:
        script = check_script(placeholders.fill(template.script, values))
    except ValueError as exc:
        raise ValidationError(f"The filled script: {exc}", code="bad_script") from None
    return JobParams(
        mode=Template.Mode.AVATAR,
        engine=pipeline.ENGINE,
        prompt=script,
        negative_prompt="",
        width=template.width,
        height=template.height,
        num_frames=0,  # known once the voice has spoken
        fps=template.fps,
        steps=0,
        guidance=0.0,
        seed=template.seed if seed is None else seed,
    )


def template_make_preview(
    *, template: Template, values: dict[str, str], image_path: Path | None = None
) -> Template:
    """Make the template's library preview: filled with sample values, generated by its
    engine, overlaid with the default brand. Runs here, not on a worker: it is an operator's
    command (manage.py template_previews)."""
    from generation.pipelines import avatar, image_to_video, text_to_video

    params, filled = template_params(template=template, values=values, seed=template.seed or 1)
    assert params.seed is not None
    with tempfile.TemporaryDirectory(prefix="reelsmith-preview-") as tmp:
        workdir = Path(tmp)
        if params.mode == Template.Mode.AVATAR:
            if image_path is None:
                raise ValueError("A talking-head preview needs a portrait.")
            result = avatar.generate(
                avatar.AvatarRequest(
                    image_path=image_path,
                    script=params.prompt,
                    voice=template.voice or None,
                    speed=template.speed,
                    fps=params.fps,
                    width=params.width,
                    height=params.height,
                    seed=params.seed,
                ),
                output=workdir / "footage.mp4",
            )
            return _template_store_preview(template, result, filled, workdir)
        request = VideoRequest(
            prompt=params.prompt,
            mode=params.mode,  # type: ignore[arg-type]
            negative_prompt=params.negative_prompt,
            width=params.width,
            height=params.height,
            num_frames=params.num_frames,
            fps=params.fps,
            steps=params.steps,
            guidance=params.guidance,
            seed=params.seed,
            image_path=image_path,
            motion=params.motion,
            preset=params.preset,
        )
        pipeline = image_to_video if params.mode == "image-to-video" else text_to_video
        result = pipeline.generate(
            request,
            output=workdir / "footage.mp4",
            engine=params.engine,
            settings=selectors.engine_settings(),
        )
        return _template_store_preview(template, result, filled, workdir)


def _template_store_preview(
    template: Template, result: VideoResult, filled: dict[str, Any], workdir: Path
) -> Template:
    """Overlay a template's sample footage with the default brand and keep it as its preview."""
    spec = overlays.OverlaySpec.from_dict(filled)
    output, poster = result.output, result.poster
    if not spec.empty:
        output = workdir / "preview.mp4"
        frames = overlays.apply_to_mp4(result.output, output, spec=spec, brand=overlays.Brand())
        poster = render.write_poster(frames, workdir / "preview.jpg")
    stem = f"template-{template.pk}-{secrets.token_hex(4)}"
    for field in (template.preview, template.preview_poster):
        if field:
            field.delete(save=False)
    with output.open("rb") as mp4, poster.open("rb") as jpg:
        template.preview.save(f"{stem}.mp4", File(mp4), save=False)
        template.preview_poster.save(f"{stem}.jpg", File(jpg), save=False)
    template.save(update_fields=["preview", "preview_poster", "updated_at"])
    return template


def template_submit(
    *,
    template: Template,
    workspace: Workspace,
    user: User,
    values: dict[str, str],
    image: Asset | None = None,
    project: Project | None = None,
    seed: int | None = None,
    variants: int = 1,
    send: bool = True,
    avatar: Avatar | None = None,
) -> Job:
    """Fill a template with a user's values and queue the job it describes; with variants,
    as many jobs of the same request with consecutive seeds, grouped under the first.
    ``send`` as for job_submit; ``avatar``: the presenter of a talking-head template."""
    if not 1 <= variants <= limits.MAX_VARIANTS:
        raise ValueError(f"Make from 1 to {limits.MAX_VARIANTS} variants.")
    params, overlays = template_params(template=template, values=values, seed=seed)
    if variants > 1 and params.seed is None:
        params = dataclasses.replace(params, seed=random_seed())
    if params.mode == Template.Mode.AVATAR:
        if avatar is None:
            raise ValueError(f"{template.name} needs a presenter: pick one of your avatars.")
        return _template_avatar_submit(
            template=template,
            workspace=workspace,
            user=user,
            params=params,
            overlays=overlays,
            avatar=avatar,
            project=project,
            variants=variants,
            send=send,
        )
    with transaction.atomic():
        first = job_submit(
            workspace=workspace,
            user=user,
            params=params,
            image=image,
            project=project,
            template=template,
            overlays=overlays,
            send=send,
        )
        for index in range(1, variants):
            assert params.seed is not None
            variant = dataclasses.replace(params, seed=(params.seed + index) % 2**32)
            job = job_submit(
                workspace=workspace,
                user=user,
                params=variant,
                image=image,
                project=project,
                template=template,
                overlays=overlays,
                send=send,
            )
            Job.objects.filter(pk=job.pk).update(variant_of=first)
    return first


def _template_avatar_submit(
    *,
    template: Template,
    workspace: Workspace,
    user: User,
    params: JobParams,
    overlays: dict[str, Any],
    avatar: Avatar,
    project: Project | None,
    variants: int,
    send: bool,
) -> Job:
    """The talking-head jobs of a filled template: its voice (else the first that speaks here)
    at its speed, captions as a file (burned-in captions would cover the lower third)."""
    from generation.avatar import tts

    if avatar.workspace_id != workspace.pk:
        raise ValueError("That avatar belongs to another workspace.")
    seed = params.seed if params.seed is not None else random_seed()
    with transaction.atomic():
        jobs = [
            avatar_job_submit(
                workspace=workspace,
                user=user,
                avatar=avatar,
                params=AvatarParams(
                    script=params.prompt,
                    voice=template.voice or tts.default_voice(),
                    speed=template.speed,
                    captions="file",
                    width=params.width,
                    height=params.height,
                    fps=params.fps,
                    seed=(seed + index) % 2**32,
                ),
                project=project,
                template=template,
                overlays=overlays,
                send=send,
            )
            for index in range(variants)
        ]
        Job.objects.filter(pk__in=[job.pk for job in jobs[1:]]).update(variant_of=jobs[0])
    return jobs[0]


# Batches --------------------------------------------------------------------------------------


def batch_create(
    *,
    workspace: Workspace,
    user: User,
    template: Template,
    parsed: ParsedCsv,
    csv_name: str = "",
    filename_column: str = "",
    image: Asset | None = None,
) -> Batch:
    """Store a checked CSV as a draft batch, one row per data row; nothing is queued yet."""
    if not parsed.ok:
        raise ValueError("Only a CSV whose every row is valid can become a batch.")
    if template.mode == Template.Mode.IMAGE_TO_VIDEO and image is None:
        raise ValueError(f"{template.name} animates an image: upload one for the batch.")
    if template.mode == Template.Mode.AVATAR and not (
        image is not None and Avatar.objects.filter(workspace=workspace, image=image).exists()
    ):
        raise ValueError(f"{template.name} is spoken by a presenter: pick one of your avatars.")
    with transaction.atomic():
        batch = Batch.objects.create(
            workspace=workspace,
            template=template,
            created_by=user,
            image=image,
            csv_name=csv_name[:255],
            columns=parsed.header,
            mapping=parsed.mapping,
            filename_column=filename_column if filename_column in parsed.header else "",
        )
        BatchRow.objects.bulk_create(
            BatchRow(batch=batch, number=number, values=values, cells=cells)
            for number, values, cells in parsed.rows
        )
    return batch


def batch_launch(*, batch: Batch, user: User) -> Batch:
    """Queue one job per row of a draft batch. Every row is filled before any is queued, so a
    row that cannot be made stops the launch with nothing queued."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != Batch.Status.DRAFT:
            return batch
        rows = list(batch.rows.all())
        for row in rows:
            try:
                template_params(template=batch.template, values=row.values)
            except ValidationError as exc:
                raise ValueError(f"Row {row.number}: {' '.join(exc.messages)}") from None
        # One seed for the whole batch, so rows whose prompts are the same share their footage.
        seed = batch.template.seed if batch.template.seed is not None else random_seed()
        presenter = (
            Avatar.objects.filter(workspace=batch.workspace, image=batch.image).first()
            if batch.template.mode == Template.Mode.AVATAR
            else None
        )
        jobs: list[Job] = []
        for row in rows:
            row.job = template_submit(
                template=batch.template,
                workspace=batch.workspace,
                user=user,
                values=row.values,
                image=batch.image,
                seed=seed,
                send=False,
                avatar=presenter,
            )
            row.attempts = 1
            jobs.append(row.job)
        BatchRow.objects.bulk_update(rows, ["job", "attempts"])
        batch.status = Batch.Status.LAUNCHED
        batch.launched_at = timezone.now()
        batch.save(update_fields=["status", "launched_at"])

        def announce_and_enqueue() -> None:
            _broadcast_states(jobs)
            _enqueue_shared(jobs)

        transaction.on_commit(announce_and_enqueue)
    return batch


def batch_retry_failed(*, batch: Batch, user: User) -> list[BatchRow]:
    """Make again the rows whose video failed, alone, with the same settings and seed."""
    retried: list[BatchRow] = []
    with transaction.atomic():
        rows = batch.rows.select_for_update().filter(job__status=Job.Status.FAILED)
        for row in rows.select_related("job"):
            assert row.job is not None
            row.job = job_rerun(job=row.job, user=user, same_seed=True)
            row.attempts += 1
            row.save(update_fields=["job", "attempts"])
            retried.append(row)
        if retried and batch.status == Batch.Status.CANCELLED:
            Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.LAUNCHED)
    return retried


def batch_cancel(*, batch: Batch) -> int:
    """Cancel every row that is not finished; finished videos are kept."""
    active = Job.objects.filter(
        batch_rows__batch=batch, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    )
    jobs = list(active)
    for job in jobs:
        job_cancel(job=job)
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CANCELLED)
    return len(jobs)


# Jobs: running on a worker --------------------------------------------------------------------


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead); stop and write nothing."""


def job_start(*, job_id: int, worker: str) -> Job | None:
    """Take the lease on a job, or return None when this delivery must not run it.

    A message can arrive twice (a worker died before acknowledging it, or the stalled-job
    sweep queued it again). Only a delivery that finds the job queued, or running under a
    lease that is no longer held, may run it.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        decision = _take_lease(job, worker=worker, now=timezone.now())
        if decision is None:
            return None
        job.save()
    _broadcast_state(job)
    return job if decision == "run" else None


def _take_lease(job: Job, *, worker: str, now: Any) -> str | None:
    """Decide what a delivery does with a job locked for update, changing it (unsaved):
    "run" (leased to ``worker``), "ended" (cancelled, or out of attempts) or None (another
    worker holds it, or it is over)."""
    if job.is_final:
        return None
    if job.status == Job.Status.RUNNING and not _lease_is_dead(job, worker=worker, now=now):
        return None
    if job.cancel_requested:
        _mark_final(job, Job.Status.CANCELLED, stage="cancelled")
        return "ended"
    if job.attempts >= settings.JOB_MAX_ATTEMPTS:
        _fail_out_of_attempts(job)
        return "ended"
    job.status = Job.Status.RUNNING
    job.stage = "starting"
    job.attempts += 1
    job.lease_owner = worker
    job.lease_expires_at = now + timedelta(seconds=settings.JOB_LEASE_SECONDS)
    job.started_at = now
    job.progress_step = job.progress_total = 0
    job.eta_seconds = None
    return "run"


def _lease_is_dead(job: Job, *, worker: str, now: Any) -> bool:
    if job.lease_expires_at is None or job.lease_expires_at <= now:
        return True
    # Workers run one job at a time (-P solo), so when the same worker name asks again the
    # process that held the lease is gone: it was killed and the worker restarted.
    host = worker.rsplit(":", 1)[0]
    return job.lease_owner.rsplit(":", 1)[0] == host


def job_run(*, job_id: int, worker: str, footage: SharedFootage | None = None) -> None:
    """The whole life of a job on a worker: lease, generate, store the video, report.

    ``footage`` holds shared footage already decoded by this worker for the jobs of one
    message (see jobs_run), so a row that reuses it only draws and encodes its overlays.
    """
    job = job_start(job_id=job_id, worker=worker)
    if job is None:
        return
    workdir = Path(tempfile.mkdtemp(prefix=f"reelsmith-job-{job.pk}-"))
    try:
        request = _video_request(job, workdir)
        reporter = _ProgressReporter(job=job, worker=worker)
        shared = _shared_generation(job) or _wait_for_shared_footage(job, reporter)
        if shared is not None:
            result = _result_from_generation(
                job, shared, workdir=workdir, reporter=reporter, footage=footage
            )
        else:
            result = _run_pipeline(
                job, request, output=workdir / f"reelsmith-{job.pk}.mp4", reporter=reporter
            )
            if job.overlays and job.generation_key:
                _generation_store(job, result)
        if job.overlays:
            result = _apply_overlays(
                job, result, workdir=workdir, reporter=reporter, footage=footage
            )
        job_finish(job_id=job.pk, worker=worker, result=result)
    except Cancelled:
        _job_end(job.pk, worker, Job.Status.CANCELLED, stage="cancelled")
    except LeaseLost:
        logger.warning("job %s: lease lost to another worker; output discarded", job.pk)
    except (ValueError, EngineUnavailable) as exc:
        _job_end(job.pk, worker, Job.Status.FAILED, stage="failed", error=str(exc))
    except Exception as exc:
        logger.exception("job %s failed", job.pk)
        error = f"The engine failed: {type(exc).__name__}: {exc}"
        _job_end(job.pk, worker, Job.Status.FAILED, stage="failed", error=error)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def jobs_run(*, job_ids: list[int], worker: str) -> None:
    """Jobs sent in one message because they share one generation request (a batch's rows).

    They run in order until one of them has made the footage (normally the first). The rest
    reuse it, decoded once, and only draw and encode their own overlays: SHARED_ROW_CHUNK
    rows at a time are leased together, drawn ROW_THREADS at a time, and stored together,
    so a row costs a few milliseconds beyond its encode. Each job keeps its own lease, state
    and failure: a row that fails fails alone.
    """
    keys = {
        pk: (workspace_id, key)
        for pk, workspace_id, key in Job.objects.filter(pk__in=job_ids).values_list(
            "pk", "workspace_id", "generation_key"
        )
    }
    with SharedFootage() as footage:
        remaining = [pk for pk in job_ids if pk in keys]
        while remaining and not footage.made(*keys[remaining[0]]):
            job_run(job_id=remaining.pop(0), worker=worker, footage=footage)
        if not remaining:
            return
        workspace_id, key = keys[remaining[0]]
        generation = Generation.objects.get(workspace_id=workspace_id, key=key)
        alone = [pk for pk in remaining if keys[pk] != (workspace_id, key)]
        together = [pk for pk in remaining if keys[pk] == (workspace_id, key)]
        with _SharedRows(worker=worker, generation=generation, footage=footage) as rows:
            # Pipelined: while the rows of one chunk are drawn, the last one's are stored.
            drawing: tuple[list[Job], list[Future[VideoResult | Exception]]] | None = None
            for start in range(0, len(together), SHARED_ROW_CHUNK):
                leased = rows.lease(together[start : start + SHARED_ROW_CHUNK])
                started = (leased, [rows.pool.submit(rows.draw, job) for job in leased])
                if drawing is not None:
                    rows.finish(*drawing)
                drawing = started
            if drawing is not None:
                rows.finish(*drawing)
        for pk in alone:
            job_run(job_id=pk, worker=worker, footage=footage)


SHARED_ROW_CHUNK = 8  # rows leased and stored in one transaction each


class _SharedRows:
    """Rows of one message that reuse ``generation``: leased a chunk at a time, drawn and
    encoded on ROW_THREADS threads (which touch no database), stored a chunk at a time."""

    def __init__(self, *, worker: str, generation: Generation, footage: SharedFootage) -> None:
        self.worker = worker
        self.generation = generation
        self.source, self.frames, self.fps = footage.get(generation)
        self.workdir = Path(tempfile.mkdtemp(prefix="reelsmith-rows-"))
        self.brands: dict[int, overlays.Brand] = {}
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, settings.ROW_THREADS), thread_name_prefix="reelsmith-row"
        )

    def __enter__(self) -> _SharedRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def lease(self, job_ids: list[int]) -> list[Job]:
        """Take the lease on the rows that may run, in one transaction; end the cancelled."""
        now = timezone.now()
        with transaction.atomic():
            jobs = list(Job.objects.select_for_update().filter(pk__in=job_ids).order_by("pk"))
            decisions = {job.pk: _take_lease(job, worker=self.worker, now=now) for job in jobs}
            changed = [job for job in jobs if decisions[job.pk] is not None]
            Job.objects.bulk_update(changed, _LEASE_FIELDS)
        _broadcast_states(changed)
        leased = [job for job in jobs if decisions[job.pk] == "run"]
        missing = {job.workspace_id for job in leased} - set(self.brands)
        for pk, workspace in Workspace.objects.in_bulk(missing).items():
            self.brands[pk] = selectors.brand_values(workspace=workspace, workdir=self.workdir)
        return leased

    def draw(self, job: Job) -> VideoResult | Exception:
        """One row's overlays over the footage, encoded with its sound; on a pool thread."""
        generation = self.generation
        try:
            spec = overlays.OverlaySpec.from_dict(job.overlays)
            output = self.workdir / f"reelsmith-{job.pk}.mp4"
            drawn = overlays.write_overlaid(
                self.frames,
                self.fps,
                output,
                spec=spec,
                brand=self.brands[job.workspace_id],
                source=self.source,
            )
            return VideoResult(
                output=output,
                poster=render.write_poster(drawn, output.with_suffix(".jpg")),
                engine=generation.engine,
                num_frames=len(drawn),
                fps=self.fps,
                width=generation.width,
                height=generation.height,
                seed=job.seed,
                seconds=0.0,
                details={**generation.details, "shared_generation": generation.key},
            )
        except Exception as exc:
            logger.exception("job %s: its overlays could not be drawn", job.pk)
            return exc

    def finish(self, leased: list[Job], drawing: list[Future[VideoResult | Exception]]) -> None:
        outcomes = [future.result() for future in drawing]
        _shared_rows_finish(leased, outcomes, worker=self.worker, generation=self.generation)
        for outcome in outcomes:  # stored now; the chunk's files are not needed any more
            if isinstance(outcome, VideoResult):
                outcome.output.unlink(missing_ok=True)
                outcome.poster.unlink(missing_ok=True)


_LEASE_FIELDS = [
    "status",
    "stage",
    "error",
    "attempts",
    "lease_owner",
    "lease_expires_at",
    "started_at",
    "finished_at",
    "progress_step",
    "progress_total",
    "eta_seconds",
]


def _shared_rows_finish(
    leased: list[Job],
    outcomes: list[VideoResult | Exception],
    *,
    worker: str,
    generation: Generation,
) -> None:
    """Store the rows' videos and end their jobs in one transaction, where this worker still
    holds their lease (as job_finish does for one job)."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().in_bulk([job.pk for job in leased])
        ended: list[Job] = []
        videos: list[Video] = []
        for row, outcome in zip(leased, outcomes, strict=True):
            job = locked.get(row.pk)
            if job is None or job.status != Job.Status.RUNNING or job.lease_owner != worker:
                logger.warning("job %s: finished without the lease; output discarded", row.pk)
                continue
            if job.cancel_requested:
                _mark_final(job, Job.Status.CANCELLED, stage="cancelled")
            elif isinstance(outcome, Exception):
                error = f"The overlays could not be drawn: {type(outcome).__name__}: {outcome}"
                _mark_final(job, Job.Status.FAILED, stage="failed", error=error)
            else:
                videos.append(_video_for(job, outcome))
                job.generation = generation
                job.details = _json_safe(outcome.details)
                job.progress_step = job.progress_total = 1
                _mark_final(job, Job.Status.SUCCEEDED, stage="done")
            ended.append(job)
        Video.objects.bulk_create(videos)
        Job.objects.bulk_update(ended, [*_LEASE_FIELDS, "generation", "details"])
    _broadcast_states(ended)


class SharedFootage:
    """Shared footage fetched and decoded once for the jobs of one message, by generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decoded: dict[int, tuple[Path, np.ndarray, int]] = {}
        self._folder = Path(tempfile.mkdtemp(prefix="reelsmith-footage-"))

    def __enter__(self) -> SharedFootage:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    def made(self, workspace_id: int, key: str) -> bool:
        """Whether footage for this generation key is stored (so later jobs reuse it)."""
        return bool(key) and Generation.objects.filter(workspace_id=workspace_id, key=key).exists()

    def get(self, generation: Generation) -> tuple[Path, np.ndarray, int]:
        """The footage's file, its frames (T, H, W, 3) and frame rate; read-only."""
        with self._lock:
            if generation.pk not in self._decoded:
                path = self._folder / f"generation-{generation.pk}.mp4"
                with generation.file.open("rb") as src, path.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                frames, fps = overlays.read_frames(path)
                frames.flags.writeable = False  # shared between threads
                self._decoded[generation.pk] = (path, frames, fps)
            return self._decoded[generation.pk]


def _video_request(job: Job, workdir: Path) -> VideoRequest:
    image_path = None
    if job.image is not None:
        image_path = workdir / f"source{Path(job.image.file.name).suffix}"
        with job.image.file.open("rb") as src, image_path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return VideoRequest(
        prompt=job.prompt,
        mode=job.mode,  # type: ignore[arg-type]
        negative_prompt=job.negative_prompt,
        width=job.width,
        height=job.height,
        num_frames=job.num_frames,
        fps=job.fps,
        steps=job.steps,
        guidance=job.guidance,
        seed=job.seed,
        image_path=image_path,
        motion=job.motion,
        preset=job.preset,
    )


def _run_pipeline(
    job: Job, request: VideoRequest, *, output: Path, reporter: _ProgressReporter
) -> VideoResult:
    from generation.pipelines import image_to_video, text_to_video

    if job.mode == Job.Mode.AVATAR:
        return _run_avatar(job, request, output=output, reporter=reporter)

    pipeline = image_to_video if job.mode == Job.Mode.IMAGE_TO_VIDEO else text_to_video
    reporter(0, 0, stage="loading model")
    return pipeline.generate(
        request,
        output=output,
        engine=job.engine,
        settings=selectors.engine_settings(),
        on_progress=reporter,
    )


def _run_avatar(
    job: Job, request: VideoRequest, *, output: Path, reporter: _ProgressReporter
) -> VideoResult:
    from generation.pipelines import avatar

    assert request.image_path is not None  # an avatar job always has its portrait
    reporter(0, 0, stage="loading the voice")
    return avatar.generate(
        avatar.AvatarRequest(
            image_path=request.image_path,
            script=job.script,
            voice=job.voice or None,
            speed=job.speed,
            fps=job.fps,
            width=job.width,
            height=job.height,
            captions=job.captions,  # type: ignore[arg-type]
            seed=job.seed,
        ),
        output=output,
        on_progress=reporter,
    )


def _shared_generation(job: Job) -> Generation | None:
    """Footage already made for the same request in this workspace, if a job with overlays
    may reuse it."""
    if not (job.overlays and job.generation_key):
        return None
    return Generation.objects.filter(workspace_id=job.workspace_id, key=job.generation_key).first()


FOOTAGE_POLL_SECONDS = 1.0


def _wait_for_shared_footage(job: Job, reporter: _ProgressReporter) -> Generation | None:
    """If another worker is already making this job's footage, wait for it instead of
    making it twice; None when this job should make it.

    Of the running jobs that share a generation key and find no footage, the one that
    started first (then the lowest id) makes it and the others wait. A maker that stops
    without storing footage (failed, cancelled, its worker gone) hands the turn on. The
    waiting job keeps its lease and still honours a cancel.
    """
    if not (job.overlays and job.generation_key):
        return None
    started = Job.objects.filter(pk=job.pk).values_list("started_at", flat=True).get()
    while True:
        maker = (
            Job.objects.filter(
                workspace_id=job.workspace_id,
                generation_key=job.generation_key,
                status=Job.Status.RUNNING,
                lease_expires_at__gt=timezone.now(),
            )
            .exclude(overlays={})  # only jobs with overlays store their footage
            .filter(Q(started_at__lt=started) | Q(started_at=started, pk__lt=job.pk))
            .order_by("started_at", "pk")
            .first()
        )
        if maker is None:
            return _shared_generation(job)
        reporter(0, 0, stage=f"waiting for job {maker.pk}'s footage")  # at most 40 characters
        time.sleep(FOOTAGE_POLL_SECONDS)
        found = _shared_generation(job)
        if found is not None:
            return found


def _result_from_generation(
    job: Job,
    generation: Generation,
    *,
    workdir: Path,
    reporter: _ProgressReporter,
    footage: SharedFootage | None = None,
) -> VideoResult:
    if footage is not None:
        # Already fetched and decoded for an earlier job of this message: nothing to report.
        output, poster = footage.get(generation)[0], workdir / f"reelsmith-{job.pk}.jpg"
        with generation.poster.open("rb") as src, poster.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        reporter(0, 1, stage="reusing shared footage")
        output = workdir / f"reelsmith-{job.pk}.mp4"
        poster = workdir / f"reelsmith-{job.pk}.jpg"
        for field, path in ((generation.file, output), (generation.poster, poster)):
            with field.open("rb") as src, path.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        reporter(1, 1, stage="reusing shared footage")
    Job.objects.filter(pk=job.pk).update(generation=generation)
    job.generation = generation
    return VideoResult(
        output=output,
        poster=poster,
        engine=generation.engine,
        num_frames=generation.num_frames,
        fps=generation.fps,
        width=generation.width,
        height=generation.height,
        seed=job.seed,
        seconds=0.0,
        details={**generation.details, "shared_generation": generation.key},
    )


def _generation_store(job: Job, result: VideoResult) -> Generation | None:
    """Keep the footage for later jobs with the same request. Two workers may make the same
    footage at once; the first to store it wins, and the other's copy is simply not kept."""
    generation = Generation(
        workspace_id=job.workspace_id,
        key=job.generation_key,
        source_job=job,
        engine=result.engine,
        width=result.width,
        height=result.height,
        fps=result.fps,
        num_frames=result.num_frames,
        seconds=result.seconds,
        details=_json_safe(result.details),
    )
    try:
        with transaction.atomic():
            with result.output.open("rb") as mp4, result.poster.open("rb") as poster:
                generation.file.save(f"{job.generation_key}.mp4", File(mp4), save=False)
                generation.poster.save(f"{job.generation_key}.jpg", File(poster), save=False)
            generation.save()
    except IntegrityError:
        generation.file.delete(save=False)
        generation.poster.delete(save=False)
        return None
    Job.objects.filter(pk=job.pk).update(generation=generation)
    return generation


def _apply_overlays(
    job: Job,
    result: VideoResult,
    *,
    workdir: Path,
    reporter: _ProgressReporter,
    footage: SharedFootage | None = None,
) -> VideoResult:
    """Draw the job's overlays with its workspace's brand kit over the generated footage."""
    spec = overlays.OverlaySpec.from_dict(job.overlays)
    if spec.empty:
        return result
    reporter(0, 1, stage="drawing overlays")
    brand = selectors.brand_values(workspace=job.workspace, workdir=workdir)
    output = workdir / f"reelsmith-{job.pk}-branded.mp4"
    if footage is not None and job.generation is not None:
        source, frames, fps = footage.get(job.generation)
    else:
        source = result.output
        frames, fps = overlays.read_frames(source)
    drawn = overlays.write_overlaid(frames, fps, output, spec=spec, brand=brand, source=source)
    poster = render.write_poster(drawn, output.with_suffix(".jpg"))
    return dataclasses.replace(result, output=output, poster=poster, num_frames=len(drawn))


class _ProgressReporter:
    """The pipeline's progress callback: throttled row writes, live messages, cancel checks."""

    SEND_INTERVAL = 0.1  # seconds; a page needs no more than ten updates a second

    def __init__(self, *, job: Job, worker: str) -> None:
        self.job_id = job.pk
        self.workspace_id = job.workspace_id
        self.worker = worker
        self.stage = ""
        self.stage_started = time.monotonic()
        self.last_write = 0.0
        self.last_send = 0.0

    def __call__(
        self, step: int, total: int, preview: Image.Image | None = None, stage: str = "denoising"
    ) -> None:
        now = time.monotonic()
        new_stage = stage != self.stage
        if new_stage:
            self.stage, self.stage_started = stage, now
        last = bool(total) and step >= total
        if not (new_stage or last or now - self.last_send >= self.SEND_INTERVAL):
            return
        self.last_send = now
        elapsed = now - self.stage_started
        eta = elapsed / step * (total - step) if step and total else None
        preview_url = selectors.preview_data_url(preview) if preview is not None else None
        if new_stage or last or now - self.last_write >= settings.JOB_PROGRESS_INTERVAL:
            self.last_write = now
            self._write(step, total, stage, eta, preview_url)
        _group_send(
            self.workspace_id,
            self.job_id,
            {
                "type": "job.progress",
                "job": self.job_id,
                "status": Job.Status.RUNNING,
                "stage": stage,
                "step": step,
                "total": total,
                "eta": eta,
                "preview": preview_url,
            },
        )

    def _write(
        self, step: int, total: int, stage: str, eta: float | None, preview_url: str | None
    ) -> None:
        """Save progress, renew the lease and pick up a cancel request, in one round trip."""
        fields: dict[str, Any] = {
            "stage": stage,
            "progress_step": step,
            "progress_total": total,
            "eta_seconds": eta,
            "lease_expires_at": timezone.now() + timedelta(seconds=settings.JOB_LEASE_SECONDS),
        }
        if preview_url:
            fields["preview"] = preview_url
        updated = Job.objects.filter(
            pk=self.job_id, status=Job.Status.RUNNING, lease_owner=self.worker
        ).update(**fields)
        if not updated:
            raise LeaseLost
        if Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise Cancelled


def job_finish(*, job_id: int, worker: str, result: VideoResult) -> Video | None:
    """Store the video and mark the job succeeded, if this worker still holds the lease."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status != Job.Status.RUNNING or job.lease_owner != worker:
            logger.warning("job %s: finished without the lease; output discarded", job_id)
            return None
        if job.cancel_requested:
            _mark_final(job, Job.Status.CANCELLED, stage="cancelled")
            job.save()
            video = None
        else:
            video = _video_for(job, result)
            video.save()
            job.details = _json_safe(result.details)
            if job.mode == Job.Mode.AVATAR:
                job.num_frames = result.num_frames
            job.progress_step = job.progress_total = max(job.progress_total, 1)
            _mark_final(job, Job.Status.SUCCEEDED, stage="done")
            job.save()
    _broadcast_state(job)
    return video


def _video_for(job: Job, result: VideoResult) -> Video:
    """The job's Video, its files stored, not yet saved."""
    video = Video(
        job=job,
        workspace_id=job.workspace_id,
        width=result.width,
        height=result.height,
        fps=result.fps,
        num_frames=result.num_frames,
        duration=result.num_frames / result.fps,
        size_bytes=result.output.stat().st_size,
    )
    slug = f"reelsmith-{job.pk}"
    with result.output.open("rb") as mp4, result.poster.open("rb") as poster:
        video.file.save(f"{slug}.mp4", File(mp4), save=False)
        video.poster.save(f"{slug}.jpg", File(poster), save=False)
    captions = _caption_file(result)
    if captions is not None:
        with captions.open("rb") as vtt:
            video.captions.save(f"{slug}.vtt", File(vtt), save=False)
    return video


def _caption_file(result: VideoResult) -> Path | None:
    """The WebVTT captions a pipeline wrote beside the video, if any."""
    files = result.details.get("caption_files")
    vtt = files.get("vtt") if isinstance(files, dict) else None
    return Path(vtt) if vtt and Path(vtt).exists() else None


def _job_end(job_id: int, worker: str, status: str, *, stage: str, error: str = "") -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.is_final or job.lease_owner != worker:
            return
        _mark_final(job, status, stage=stage, error=error)
        job.save()
    _broadcast_state(job)


def _mark_final(job: Job, status: str, *, stage: str, error: str = "") -> None:
    job.status = status
    job.stage = stage
    job.error = error
    job.eta_seconds = None
    job.lease_expires_at = None
    job.finished_at = timezone.now()


def _fail_out_of_attempts(job: Job) -> None:
    reason = (
        f"The worker making this video stopped unexpectedly {job.attempts} times; "
        "the job was not retried again."
    )
    _mark_final(job, Job.Status.FAILED, stage="failed", error=reason)


def jobs_recover_stalled(*, restarted_worker: str | None = None) -> list[int]:
    """Queue again (or fail) running jobs whose worker is gone.

    A worker is gone when its lease ran out without renewal, or, for ``restarted_worker``
    (a worker name, on start-up), when the lease belongs to an earlier process of that name.
    """
    now = timezone.now()
    recovered: list[int] = []
    for job_id in Job.objects.filter(status=Job.Status.RUNNING).values_list("pk", flat=True):
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job_id)
            if job.status != Job.Status.RUNNING:
                continue
            expired = job.lease_expires_at is None or job.lease_expires_at <= now
            restarted = restarted_worker is not None and job.lease_owner.rsplit(":", 1)[0] == (
                restarted_worker
            )
            if not (expired or restarted):
                continue
            if job.cancel_requested:
                _mark_final(job, Job.Status.CANCELLED, stage="cancelled")
            elif job.attempts >= settings.JOB_MAX_ATTEMPTS:
                _fail_out_of_attempts(job)
            else:
                job.status = Job.Status.QUEUED
                job.stage = "queued again after a worker stopped"
                job.lease_owner = ""
                job.lease_expires_at = None
                queue = job.queue
                transaction.on_commit(lambda pk=job.pk, q=queue: _enqueue(pk, q))  # type: ignore[misc]
            job.save()
        recovered.append(job.pk)
        _broadcast_state(job)
    return recovered


# Live updates -----------------------------------------------------------------------------------


def _broadcast_state(job: Job) -> None:
    _group_send(job.workspace_id, job.pk, {"type": "job.status", **selectors.job_state(job)})


def _broadcast_states(jobs: list[Job]) -> None:
    """Every job's state, in one pass over the channel layer (a batch's launch sends hundreds)."""
    states = selectors.job_states(jobs)
    live.send(
        (group, {"type": "job.status", **state})
        for job, state in zip(jobs, states, strict=True)
        for group in (selectors.job_group(job.pk), selectors.workspace_group(job.workspace_id))
    )


def _group_send(workspace_id: int, job_id: int, message: dict[str, Any]) -> None:
    """Send to the job's and the workspace's groups. Live updates are best effort: the row is
    the truth, and a page that missed a message gets a snapshot when it reconnects."""
    live.send(
        [
            (selectors.job_group(job_id), message),
            (selectors.workspace_group(workspace_id), message),
        ]
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
