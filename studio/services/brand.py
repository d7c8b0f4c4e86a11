"""The workspace's brand kit: logo, colours, font and overlay styles."""

from __future__ import annotations

import secrets

from django.core.files.uploadedfile import UploadedFile
from PIL import Image

from studio.models import (
    BrandKit,
    Workspace,
)
from studio.services.uploads import clean_copy


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
    """Save the workspace's brand kit. A logo comes checked (forms.uploads.ImageUploadField)."""
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
        _, content, extension = clean_copy(logo_image)
        kit.logo.save(f"logo-{secrets.token_hex(4)}.{extension}", content, save=False)
    kit.save()
    return kit
