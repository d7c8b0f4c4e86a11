"""Avatars: portraits with one face, renamed, removed, and made to speak a script."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import RestrictedError
from PIL import Image, ImageOps

from studio.models import (
    Avatar,
    Job,
    Project,
    Template,
    Workspace,
)
from studio.params import AvatarParams
from studio.queueing import holding, send_on_commit
from studio.services.errors import refused_as
from studio.services.quotas import quota_check_job
from studio.services.uploads import asset_create


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
    portrait (an upload of the workspace's); a portrait nothing else uses goes with it, file
    and all."""
    with transaction.atomic():
        portrait = avatar.image
        avatar.delete()
        try:
            with transaction.atomic():
                portrait.delete()
        except RestrictedError:
            pass  # a job, a batch or another avatar still uses it


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

    with refused_as("bad_script"):
        text = script.check_script(params.script)
    with refused_as("voice_unavailable"):
        tts.check_voice(params.voice)
    with transaction.atomic():
        if send:
            quota_check_job(workspace=workspace, queue="cpu")
        job = Job(
            **params.job_fields(),
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
            num_frames=0,  # known once the voice has spoken
            steps=0,
            guidance=0.0,
            held=holding(),
        )
        job.script = text  # as the voice reads it
        job.save()
        if not send:
            return job
        send_on_commit(job)
    return job


def voice_preview(*, script: str, voice: str, speed: float) -> bytes:
    """The script spoken by ``voice``, as WAV bytes, to hear before generating.

    The voices say a script the same way every time, so a preview is kept in the shared cache
    by (voice, speed, text): pressing Play again, or a teammate's same preview, is not spoken
    twice.
    """
    from generation.avatar import tts
    from generation.avatar.script import check_script

    with refused_as("voice_unavailable"):
        text = check_script(script)
    key = "voice-preview:" + hashlib.sha256(f"{voice}\0{speed:.2f}\0{text}".encode()).hexdigest()
    cached: bytes | None = cache.get(key)
    if cached is not None:
        return cached
    with refused_as("voice_unavailable"):
        speech = tts.speak(text, voice=voice, speed=speed)
    with tempfile.TemporaryDirectory(prefix="reelsmith-voice-") as tmp:
        wav = tts.write_wav(speech, Path(tmp) / "voice.wav").read_bytes()
    cache.set(key, wav, timeout=settings.VOICE_CACHE_SECONDS)
    return wav
