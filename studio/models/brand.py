"""A workspace's brand kit: logo, colours, font and overlay styles."""

from __future__ import annotations

from django.db import models

from studio.models.workspaces import Workspace


def _brand_path(kit: BrandKit, filename: str) -> str:
    return f"workspaces/{kit.workspace_id}/brand/{filename}"


class BrandKit(models.Model):
    """A workspace's look, drawn over its templates' videos (see generation/overlays.py)."""

    class LowerThirdStyle(models.TextChoices):
        BAR = "bar", "A bar in the primary colour"
        CLEAN = "clean", "Text with a soft shadow"

    class EndCardStyle(models.TextChoices):
        SOLID = "solid", "The primary colour"
        DARK = "dark", "Near black"

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="brand_kit")
    logo = models.FileField(upload_to=_brand_path, max_length=300, blank=True, db_index=True)
    primary_color = models.CharField(max_length=7, default="#7c5cff")
    text_color = models.CharField(max_length=7, default="#ffffff")
    accent_color = models.CharField(max_length=7, default="#fbbf24")
    font = models.CharField(max_length=40, default="DejaVu Sans")
    lower_third_style = models.CharField(
        max_length=10, choices=LowerThirdStyle.choices, default=LowerThirdStyle.BAR
    )
    end_card_style = models.CharField(
        max_length=10, choices=EndCardStyle.choices, default=EndCardStyle.SOLID
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Brand kit of {self.workspace}"
