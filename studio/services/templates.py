"""Templates: recipes with {placeholders}, saved from a job, edited, filled and made."""

from __future__ import annotations

import dataclasses
import secrets
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from generation import VideoResult, limits, overlays, render
from generation.engines import default_engine, recommended_settings
from studio import placeholders, selectors
from studio.engines import engine_presets, engine_settings
from studio.models import (
    Asset,
    Avatar,
    Job,
    Project,
    StyleLora,
    Template,
    Workspace,
)
from studio.params import (
    STYLE_LORA_STRENGTH_DEFAULT,
    AvatarParams,
    JobParams,
    random_seed,
    style_of,
)
from studio.services.avatars import avatar_job_submit
from studio.services.errors import refused_as
from studio.services.jobs import job_submit
from studio.services.style_loras import style_lora_check


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
    offered = engine_presets(engine_name)
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
        **JobParams.of_job(job).recipe_fields(),  # the recipe, its seed included
        workspace_id=job.workspace_id,
        name=name.strip()[:100] or f"From job {job.pk}",
        created_by=user,
        source_job=job,
        aspect=_aspect_of(job.width, job.height),
        overlays=job.template.overlays if job.template else {},
        style_lora_id=job.style_lora_id,
        style_lora_strength=job.style_lora_strength,
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
    style: str | None = None,
    voice: str | None = None,
    speed: float | None = None,
    style_lora: tuple[StyleLora | None, float] | None = None,
) -> Template:
    """Edit a workspace's template; its fields follow the placeholders its texts use, with
    the definitions given in ``fields`` (else the current ones) for those that have one.

    ``preset`` (None keeps the current one) must be one the template's engine offers here;
    ``voice`` ("" for the default voice) and ``speed`` are a talking head's (None keeps them).
    ``style`` is a style's name ("" for none, None keeps the current one); the template keeps
    a copy of the style as it is now. ``style_lora`` is a LoRA of the template's workspace
    (or None for none) and its strength, checked against the template's engine (None keeps
    them).
    """
    if template.is_builtin:
        raise ValidationError(
            "Built-in templates cannot be edited; save a copy to your workspace.", code="builtin"
        )
    if preset is not None and preset != template.preset:
        _template_check_preset(template.engine, preset)
        template.preset = preset
    if style is not None:
        workspace = template.workspace
        assert workspace is not None  # built-in templates were refused above
        chosen = selectors.style_named(
            workspace=workspace, name=style, current=style_of(template.style)
        )
        template.style = chosen.as_dict() if chosen else {}
    if style_lora is not None:
        _template_set_lora(template, *style_lora)
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


def _template_set_lora(template: Template, lora: StyleLora | None, strength: float) -> None:
    if lora is not None:
        if lora.workspace_id != template.workspace_id:
            raise ValidationError(
                "No style LoRA of this workspace has that id.", code="lora_unknown"
            )
        engine = template.engine or default_engine(template.mode, engine_settings())  # type: ignore[arg-type]
        style_lora_check(lora=lora, engine=engine or "")
    template.style_lora = lora
    template.style_lora_strength = strength if lora is not None else STYLE_LORA_STRENGTH_DEFAULT


def template_params(
    *, template: Template, values: dict[str, str], seed: int | None = None
) -> tuple[JobParams, dict[str, Any]]:
    """The job parameters and overlay texts of a template filled with a user's values.

    Raises ValidationError naming missing, too long or unknown placeholders, or saying that
    nothing here can make the template's kind of video.
    """
    if template.mode == Template.Mode.STORYBOARD:
        raise ValidationError(
            f"{template.name} is a storyboard template: it makes its videos in a batch, "
            "one per row of a CSV.",
            code="storyboard_template",
        )
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
    engine = template.engine or default_engine(template.mode, engine_settings())  # type: ignore[arg-type]
    if not engine:
        raise ValidationError(
            f"No {template.get_mode_display().lower()} engine is installed on this server.",
            code="engine_unavailable",
        )
    steps, guidance = template.steps, template.guidance
    if not template.engine:
        # A recipe for whichever engine is the mode's default cannot know that engine's best
        # settings, so it runs at the ones the engine recommends.
        recommended = recommended_settings(engine, engine_settings())
        steps, guidance = recommended.steps, recommended.guidance
    params = JobParams(
        mode=template.mode,
        engine=engine,
        prompt=prompt,
        negative_prompt=placeholders.fill(template.negative_prompt, values),
        width=template.width,
        height=template.height,
        num_frames=template.num_frames,
        fps=template.fps,
        steps=steps,
        guidance=guidance,
        seed=template.seed if seed is None else seed,
        motion=template.motion,
        preset=template.preset,
        style=style_of(template.style),
        style_lora_id=template.style_lora_id,
        style_lora_strength=template.style_lora_strength,
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
                raise ValidationError(
                    "A talking-head preview needs a portrait.", code="portrait_required"
                )
            with refused_as("generation_refused"):
                result = avatar.generate(
                    AvatarParams(
                        script=params.prompt,
                        voice=template.voice,
                        speed=template.speed,
                        captions="file",
                        width=params.width,
                        height=params.height,
                        fps=params.fps,
                        seed=params.seed,
                    ).request(image_path=image_path),
                    output=workdir / "footage.mp4",
                )
            return _template_store_preview(template, result, filled, workdir)
        request = params.request(image_path=image_path)
        pipeline = image_to_video if params.mode == "image-to-video" else text_to_video
        with refused_as("generation_refused"):
            result = pipeline.generate(
                request,
                output=workdir / "footage.mp4",
                engine=params.engine,
                settings=engine_settings(),
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
        raise ValidationError(
            f"Make from 1 to {limits.MAX_VARIANTS} variants.", code="bad_variants"
        )
    params, overlays = template_params(template=template, values=values, seed=seed)
    if variants > 1 and params.seed is None:
        params = dataclasses.replace(params, seed=random_seed())
    if params.mode == Template.Mode.AVATAR:
        if avatar is None:
            raise ValidationError(
                f"{template.name} needs a presenter: pick one of your avatars.",
                code="presenter_required",
            )
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
        raise ValidationError("That avatar belongs to another workspace.", code="not_yours")
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
