"""A workspace's brand kit as the plain values generation/overlays.py draws with."""

from __future__ import annotations

import shutil
from pathlib import Path

from generation import overlays
from studio.models import Workspace
from studio.selectors import brand_kit_for_workspace


def brand_values(*, workspace: Workspace, workdir: Path) -> overlays.Brand:
    """The workspace's brand kit as the plain values generation/overlays.py takes; the logo
    is copied into ``workdir`` (storage may be remote)."""
    kit = brand_kit_for_workspace(workspace=workspace)
    logo_path = None
    if kit.logo:
        logo_path = workdir / f"logo{Path(kit.logo.name).suffix}"
        with kit.logo.open("rb") as src, logo_path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return overlays.Brand(
        primary=overlays.parse_color(kit.primary_color),
        text=overlays.parse_color(kit.text_color),
        accent=overlays.parse_color(kit.accent_color),
        font=kit.font,
        logo_path=logo_path,
        lower_third_style=kit.lower_third_style,
        end_card_style=kit.end_card_style,
    )
