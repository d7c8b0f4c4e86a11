"""Style presets a workspace saved and the style LoRAs it uploaded."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from generation.types import Style
from studio.models.workspaces import Workspace


def _style_lora_path(lora: StyleLora, filename: str) -> str:
    return f"workspaces/{lora.workspace_id}/loras/{filename}"


class StyleLora(models.Model):
    """A look a workspace's owners uploaded as a LoRA for one model family, checked against a
    configured model's layers before it was stored (generation/engines/style_loras.py)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="style_loras")
    name = models.CharField(max_length=100)
    family = models.CharField(max_length=40)  # the model family's key: "wan2.1", "ltx-video"
    engine = models.CharField(max_length=50)  # the configured model it was checked against
    file = models.FileField(upload_to=_style_lora_path, max_length=300, db_index=True)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)  # what workers cache their copies by
    layers = models.JSONField(default=dict)  # {module: [inputs, outputs, rank]}, as checked
    layers_summary = models.CharField(max_length=300)  # "16 layers (attn1.to_q, ...), rank 4"
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def family_label(self) -> str:
        from generation.engines.style_loras import FAMILIES

        family = FAMILIES.get(self.family)
        return family.label if family else self.family


class WorkspaceStyle(models.Model):
    """A style preset a workspace saved, offered beside the built-in ones
    (generation.styles.BUILTIN_STYLES): words added to the prompt and the negative prompt,
    and the guidance and steps it runs at. Jobs, templates and storyboards keep a copy."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="styles")
    name = models.CharField(max_length=60)
    prompt = models.TextField()  # the prompt additions
    negative = models.TextField(blank=True)
    guidance = models.FloatField(null=True, blank=True)  # None: the request's own
    steps = models.PositiveIntegerField(null=True, blank=True)  # None: the request's own
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_style_per_name")
        ]

    def __str__(self) -> str:
        return self.name

    def as_style(self) -> Style:
        """The style as the engine takes it."""
        return Style(
            name=self.name,
            label=self.name,
            prompt=self.prompt,
            negative=self.negative,
            guidance=self.guidance,
            steps=self.steps,
        )
