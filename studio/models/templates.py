"""Templates: the recipe of a job, with placeholders a user fills."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.jobs import Job
from studio.models.workspaces import Workspace


def _template_path(template: Template, filename: str) -> str:
    owner = f"workspaces/{template.workspace_id}" if template.workspace_id else "builtin"
    return f"{owner}/templates/{filename}"


class Template(models.Model):
    """A recipe for a video: the parameters of a job, with ``{placeholders}`` a user fills.

    Built-in templates have no workspace and are shown to everyone; a workspace's own
    templates are seen only by its members. ``fields`` lists what a user fills, each a dict
    ``{"name", "label", "type", "required", "max_length"}`` (see studio/placeholders.py).
    """

    class Mode(models.TextChoices):
        TEXT_TO_VIDEO = "text-to-video", "Text to video"
        IMAGE_TO_VIDEO = "image-to-video", "Image to video"
        AVATAR = "avatar", "Talking head"
        STORYBOARD = "storyboard", "Storyboard"

    class Aspect(models.TextChoices):
        LANDSCAPE = "16:9"
        PORTRAIT = "9:16"
        SQUARE = "1:1"

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="templates"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="templates"
    )

    # The recipe: a job's parameters, with placeholders in the texts.
    mode = models.CharField(max_length=20, choices=Mode.choices)
    engine = models.CharField(max_length=50, blank=True)  # blank: the mode's default engine
    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    script = models.TextField(blank=True)  # what a talking head says (avatar templates)
    voice = models.CharField(max_length=40, blank=True)  # blank: the first voice that speaks here
    speed = models.FloatField(default=1.0)  # of the voice (avatar templates)
    motion = models.CharField(max_length=20, default="auto")
    aspect = models.CharField(max_length=5, choices=Aspect.choices, default=Aspect.LANDSCAPE)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    num_frames = models.PositiveIntegerField()
    fps = models.PositiveIntegerField()
    steps = models.PositiveIntegerField(default=20)
    guidance = models.FloatField(default=5.0)
    seed = models.BigIntegerField(null=True, blank=True)  # None: a new seed per video
    preset = models.CharField(max_length=10, choices=Job.Preset.choices, default=Job.Preset.QUALITY)
    style = models.JSONField(default=dict, blank=True)  # a style preset, as its jobs keep it
    # A style LoRA of the template's workspace and its strength, for every video made from it
    # (batches included); deleting the LoRA leaves the template without one.
    style_lora = models.ForeignKey(
        "StyleLora", null=True, blank=True, on_delete=models.SET_NULL, related_name="templates"
    )
    style_lora_strength = models.FloatField(default=1.0)
    variants = models.PositiveSmallIntegerField(default=1)  # A/B: this many seeds per fill
    fields = models.JSONField(default=list, blank=True)
    # Which overlays to draw with the workspace's brand kit, their texts with placeholders:
    # {"lower_third": {"name": "{first_name}", "company": "{company}"},
    #  "end_card": {"cta": "{cta}", "seconds": 1.5}}
    overlays = models.JSONField(default=dict, blank=True)
    # A storyboard template's storyboard, as saved (studio.services.storyboard_batches):
    # {"settings": {"voice", "speed", "music", ...}, "scenes": [{"visual", "voiceover",
    #  "on_screen_text", "prompt", ...}]}; placeholders may stand in the scenes' three texts.
    board = models.JSONField(default=dict, blank=True)
    source_storyboard = models.ForeignKey(
        "Storyboard", null=True, blank=True, on_delete=models.SET_NULL, related_name="templates"
    )
    # A short clip of the template filled with sample values, made by the engines
    # (manage.py template_previews); the library plays it on hover.
    preview = models.FileField(upload_to=_template_path, max_length=300, blank=True, db_index=True)
    preview_poster = models.FileField(
        upload_to=_template_path, max_length=300, blank=True, db_index=True
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.workspace_id is None
