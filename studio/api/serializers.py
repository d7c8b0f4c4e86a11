"""What the API answers with, and the shape of what it takes (for the schema). Input is
checked by the pages' own forms and services, so every message is said in one place."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generation import limits
from generation.styles import BUILTIN_STYLES
from studio import selectors
from studio.models import ApiToken, Asset, Batch, Job, Template
from studio.params import STYLE_LORA_STRENGTHS

# The API's name of each mode, and the Job row's.
MODES: dict[str, str] = {
    "text-to-video": Job.Mode.TEXT_TO_VIDEO,
    "image-to-video": Job.Mode.IMAGE_TO_VIDEO,
    "talking-head": Job.Mode.AVATAR,
}

MODE_NAMES = {value: name for name, value in MODES.items()}


def absolute(context: dict[str, Any], url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


# Jobs -----------------------------------------------------------------------------------------


class JobCreateSerializer(serializers.Serializer):
    """A new job: the command line's parameters (all but ``mode`` and ``prompt`` optional)."""

    mode = serializers.ChoiceField(choices=list(MODES))
    prompt = serializers.CharField(
        max_length=limits.MAX_PROMPT_CHARS,
        required=False,
        help_text="What the video shows (a talking head: what it says, or give script).",
    )
    negative_prompt = serializers.CharField(required=False, allow_blank=True)
    engine = serializers.CharField(required=False, help_text="Blank: the mode's default engine.")
    frames = serializers.IntegerField(required=False, min_value=1, max_value=limits.MAX_FRAMES)
    fps = serializers.IntegerField(required=False, min_value=1, max_value=limits.MAX_FPS)
    width = serializers.IntegerField(
        required=False, min_value=limits.MIN_SIDE, max_value=limits.MAX_SIDE
    )
    height = serializers.IntegerField(
        required=False, min_value=limits.MIN_SIDE, max_value=limits.MAX_SIDE
    )
    steps = serializers.IntegerField(required=False, min_value=1, max_value=limits.MAX_STEPS)
    guidance = serializers.FloatField(required=False, min_value=0, max_value=limits.MAX_GUIDANCE)
    seed = serializers.IntegerField(required=False, min_value=0, max_value=limits.MAX_SEED)
    preset = serializers.ChoiceField(choices=Job.Preset.values, required=False)
    style = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"A style preset: {', '.join(BUILTIN_STYLES)}, or one of the workspace's own.",
    )
    style_lora = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A style LoRA of the workspace (its id on the Style LoRAs page), for the "
        "family of the chosen engine's model.",
    )
    style_lora_strength = serializers.FloatField(
        required=False,
        min_value=STYLE_LORA_STRENGTHS[0],
        max_value=STYLE_LORA_STRENGTHS[1],
        help_text="0 adds nothing, 1 is the look as trained (the default), 2 doubles it.",
    )
    motion = serializers.CharField(
        required=False, help_text="Image to video: zoom-in, pan-left, ..."
    )
    asset = serializers.IntegerField(
        required=False, help_text="An image uploaded with POST /api/v1/assets/."
    )
    image = serializers.ImageField(required=False, help_text="Or the image itself (multipart).")
    avatar = serializers.IntegerField(
        required=False, help_text="Talking head: the avatar who speaks."
    )
    script = serializers.CharField(required=False, max_length=limits.MAX_SCRIPT_CHARS)
    voice = serializers.CharField(required=False)
    speed = serializers.FloatField(
        required=False, min_value=limits.MIN_SPEED, max_value=limits.MAX_SPEED
    )
    captions = serializers.ChoiceField(choices=["file", "burn", "none"], required=False)
    aspect = serializers.ChoiceField(
        choices=["16:9", "9:16", "1:1"], required=False, help_text="Talking head: the shape."
    )


class JobRerunSerializer(serializers.Serializer):
    seed = serializers.ChoiceField(choices=["same", "new"], default="same")


class JobParametersSerializer(serializers.Serializer):
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    frames = serializers.IntegerField(source="num_frames")
    fps = serializers.IntegerField()
    steps = serializers.IntegerField()
    guidance = serializers.FloatField()
    seed = serializers.IntegerField()
    preset = serializers.CharField()
    motion = serializers.CharField()
    style = serializers.SerializerMethodField(help_text="The style preset's name, or null.")
    style_lora = serializers.IntegerField(
        source="style_lora_id", allow_null=True, help_text="The style LoRA's id, or null."
    )
    style_lora_strength = serializers.FloatField()

    def get_style(self, job: Job) -> str | None:
        return str(job.style["name"]) if job.style else None


class JobProgressSerializer(serializers.Serializer):
    step = serializers.IntegerField(source="progress_step")
    total = serializers.IntegerField(source="progress_total")
    fraction = serializers.FloatField(source="progress_fraction")
    eta_seconds = serializers.FloatField(allow_null=True)


class JobTimingsSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    run_seconds = serializers.FloatField(allow_null=True)


class VideoSerializer(serializers.Serializer):
    mp4 = serializers.URLField(help_text="Download with the same token.")
    poster = serializers.URLField()
    duration = serializers.FloatField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size_bytes = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Job.Status.values)
    stage = serializers.CharField()
    mode = serializers.SerializerMethodField()
    engine = serializers.CharField()
    prompt = serializers.CharField()
    negative_prompt = serializers.CharField()
    error = serializers.CharField(source="failure_reason")
    template = serializers.IntegerField(source="template_id", allow_null=True)
    rerun_of = serializers.IntegerField(source="rerun_of_id", allow_null=True)
    variant_of = serializers.IntegerField(source="variant_of_id", allow_null=True)
    parameters = JobParametersSerializer(source="*")
    progress = JobProgressSerializer(source="*")
    timings = JobTimingsSerializer(source="*")
    video = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    def get_mode(self, job: Job) -> str:
        return MODE_NAMES.get(job.mode, job.mode)

    def get_web_url(self, job: Job) -> str:
        return absolute(
            self.context,
            reverse("job_detail", kwargs={"workspace_id": job.workspace_id, "job_id": job.pk}),
        )

    @extend_schema_field(VideoSerializer(allow_null=True))
    def get_video(self, job: Job) -> dict[str, Any] | None:
        video = getattr(job, "video", None) if job.status == Job.Status.SUCCEEDED else None
        if video is None:
            return None
        return {
            "mp4": absolute(self.context, reverse("api:job-video", kwargs={"job_id": job.pk})),
            "poster": absolute(self.context, reverse("api:job-poster", kwargs={"job_id": job.pk})),
            "duration": video.duration,
            "width": video.width,
            "height": video.height,
            "size_bytes": video.size_bytes,
        }


# Uploads, engines, usage ----------------------------------------------------------------------


class AssetCreateSerializer(serializers.Serializer):
    image = serializers.ImageField(help_text="JPEG, PNG or WebP.")


class AssetSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")

    class Meta:
        model = Asset
        fields = ["id", "name", "content_type", "width", "height", "size_bytes", "created_at"]


class RecommendedSerializer(serializers.Serializer):
    steps = serializers.IntegerField()
    guidance = serializers.FloatField()
    frames = serializers.IntegerField()
    fps = serializers.IntegerField()


class EngineSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    modes = serializers.ListField(child=serializers.CharField())
    queue = serializers.CharField()
    available = serializers.BooleanField()
    reason = serializers.CharField()
    presets = serializers.ListField(child=serializers.CharField())
    max_frames = serializers.IntegerField()
    fast_steps = serializers.IntegerField(allow_null=True)
    fast_guidance = serializers.FloatField(allow_null=True)
    recommended = RecommendedSerializer(
        help_text="The settings it makes its best videos at: what a job left blank gets."
    )
    sound = serializers.BooleanField(
        help_text="It makes a soundtrack with the picture (a video of it has the model's sound)."
    )


class EnginesSerializer(serializers.Serializer):
    engines = EngineSerializer(many=True)
    modes = serializers.ListField(child=serializers.CharField())
    presets = serializers.ListField(child=serializers.CharField())
    limits = serializers.DictField(child=serializers.FloatField())
    defaults = serializers.DictField(
        child=serializers.FloatField(),
        help_text="What a job left without a value gets on an engine that recommends nothing.",
    )
    sizes = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.IntegerField())),
        help_text="Recommended sizes per aspect.",
    )


class KindUsageSerializer(serializers.Serializer):
    used = serializers.IntegerField(help_text="Worker-seconds this calendar month (UTC).")
    quota = serializers.IntegerField()
    left = serializers.IntegerField()


class UsageSerializer(serializers.Serializer):
    active_jobs = serializers.IntegerField()
    max_active_jobs = serializers.IntegerField()
    cpu = KindUsageSerializer()
    gpu = KindUsageSerializer()


# Templates and batches ------------------------------------------------------------------------


class TemplateFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField(required=False)
    type = serializers.CharField(required=False)
    required = serializers.BooleanField(required=False)
    max_length = serializers.IntegerField(required=False, allow_null=True)


class TemplateSerializer(serializers.ModelSerializer):
    mode = serializers.SerializerMethodField()
    builtin = serializers.BooleanField(source="is_builtin")
    fields = TemplateFieldSerializer(many=True)
    frames = serializers.IntegerField(source="num_frames")

    class Meta:
        model = Template
        fields = [
            "id",
            "name",
            "description",
            "mode",
            "engine",
            "aspect",
            "width",
            "height",
            "frames",
            "fps",
            "variants",
            "builtin",
            "fields",
        ]

    def get_mode(self, template: Template) -> str:
        return MODE_NAMES.get(template.mode, template.mode)


class TemplateFillSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text="Field name -> value."
    )
    variants = serializers.IntegerField(required=False, min_value=1, max_value=limits.MAX_VARIANTS)
    asset = serializers.IntegerField(
        required=False, help_text="Image-to-video templates: an uploaded image."
    )
    image = serializers.ImageField(required=False)
    avatar = serializers.IntegerField(
        required=False, help_text="Talking-head templates: the presenter."
    )


class JobsSerializer(serializers.Serializer):
    jobs = JobSerializer(many=True)


class BatchCreateSerializer(serializers.Serializer):
    template = serializers.IntegerField()
    csv = serializers.FileField(
        required=False, help_text="A CSV file (multipart), header row first."
    )
    rows = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        required=False,
        help_text="Or the rows as JSON objects, column -> value.",
    )
    filename_column = serializers.CharField(required=False, allow_blank=True)
    asset = serializers.IntegerField(required=False)
    avatar = serializers.IntegerField(required=False)


class BatchSerializer(serializers.ModelSerializer):
    template = serializers.IntegerField(source="template_id")
    rows = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = [
            "id",
            "template",
            "status",
            "csv_name",
            "columns",
            "filename_column",
            "created_at",
            "launched_at",
            "rows",
            "progress",
        ]

    def get_rows(self, batch: Batch) -> int:
        return batch.rows.count()

    def get_progress(self, batch: Batch) -> dict[str, Any]:
        return selectors.batch_progress(batch=batch)


class ZipSerializer(serializers.Serializer):
    name = serializers.CharField(
        required=False, allow_blank=True, help_text="The column that names the files."
    )


class ArchiveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    video_count = serializers.IntegerField()
    error = serializers.CharField()
    download = serializers.URLField(allow_null=True)


# Tokens (the page shows them; the API lists none) -----------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "prefix", "created_at", "expires_at", "last_used_at"]
