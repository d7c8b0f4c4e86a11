"""Jobs: submitting one, cancelling it, and making it again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from generation.engines import check_engine_request, get_engine_info
from studio.engines import engine_settings
from studio.live import broadcast_state
from studio.models import (
    Asset,
    Job,
    Project,
    StyleLora,
    Template,
    Workspace,
)
from studio.params import AvatarParams, JobParams, generation_key, random_seed
from studio.queueing import holding, send_on_commit
from studio.services.avatars import avatar_job_submit
from studio.services.errors import refused_as
from studio.services.quotas import quota_check_job
from studio.services.style_loras import style_lora_check
from studio.worker.lease import mark_final


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

    With ``send=False`` the caller checks the workspace's quotas, and announces and sends the
    job (see batch_launch, which sends the rows that share footage in one message)."""
    with refused_as("unknown_engine"):
        info = get_engine_info(params.engine, engine_settings())
    if not info.available:
        raise ValidationError(
            f"{info.label} is unavailable: {info.reason}", code="engine_unavailable"
        )
    if params.mode not in info.modes:
        raise ValidationError(f"{info.label} cannot make {params.mode} videos.", code="engine_mode")
    if params.mode == "image-to-video" and image is None:
        raise ValidationError("Image-to-video needs an image.", code="image_required")
    # The engine's own limits (frame counts, rates, presets), refused here, not on a worker.
    with refused_as("engine_limits"):
        check_engine_request(params.engine, params.request(), engine_settings())
    if params.style_lora_id is not None:
        lora = StyleLora.objects.filter(workspace=workspace, pk=params.style_lora_id).first()
        if lora is None:  # another workspace's, or deleted meanwhile
            raise ValidationError(
                "No style LoRA of this workspace has that id.", code="lora_unknown"
            )
        style_lora_check(lora=lora, engine=params.engine)
    with transaction.atomic():
        if send:
            quota_check_job(workspace=workspace, queue=info.queue)
        job = Job(
            **params.job_fields(),
            **params.style_fields(),
            workspace=workspace,
            project=project,
            created_by=user,
            rerun_of=rerun_of,
            template=template,
            overlays=overlays or {},
            queue=info.queue,
            image=image if params.mode == "image-to-video" else None,
            held=holding(),
        )
        job.generation_key = generation_key(job)
        job.save()
        if not send:
            return job

        send_on_commit(job)
    return job


def job_cancel(*, job: Job) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next step."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.is_final:
            return job
        job.cancel_requested = True
        if job.status == Job.Status.QUEUED:
            mark_final(job, Job.Status.CANCELLED, stage="cancelled")
        else:
            job.stage = "cancelling"
        job.save()
    broadcast_state(job)
    return job


def job_rerun(*, job: Job, user: User, same_seed: bool) -> Job:
    """Queue a new job with the same settings, and the same seed or a new one."""
    seed = job.seed if same_seed else random_seed()
    if job.mode in (Job.Mode.STORYBOARD, Job.Mode.STORYBOARD_SCENE):
        raise ValidationError(
            "A storyboard's video is made again from its storyboard: press Render there.",
            code="storyboard_job",
        )
    if job.mode == Job.Mode.AVATAR:
        if job.avatar is None:
            raise ValidationError(
                "This talking head's avatar was deleted; it cannot be made again.",
                code="avatar_deleted",
            )
        return avatar_job_submit(
            workspace=job.workspace,
            user=user,
            avatar=job.avatar,
            params=AvatarParams.of_job(job, seed=seed),
            project=job.project,
            rerun_of=job,
        )
    params = JobParams.of_job(job, seed=seed)
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
