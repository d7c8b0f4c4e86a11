"""Pictures made for a page, not stored: a progress preview as a data URL, the stills of a
filled template's overlays that a draft batch shows, and the stills of a storyboard's cards.

Text cards, title cards and the brand's open and close are not footage a worker makes ahead:
the assembly draws them. The render panel shows each one anyway, as it will look (its words over
the brand's colours, the logo, a scene's image behind its text), at thumbnail size. A card's
still is kept in the cache under everything it shows, so a page that polls the panel draws it
once.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from django.core.cache import cache
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from generation import overlays
from generation.storyboard import board as engine_board
from generation.storyboard import cards
from studio.boards import intro_card, outro_card
from studio.brand import brand_values
from studio.models import Asset, Avatar, Storyboard, StoryboardScene, Template, Workspace
from studio.selectors import brand_kit_for_workspace

PREVIEW_MAX_SIDE = 256


def preview_data_url(image: Image.Image) -> str:
    """A small JPEG of a preview frame, inline, so it needs no file and no second request."""
    image = image.convert("RGB")
    image.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


OVERLAY_PREVIEW_SIDE = 480


def overlay_preview(
    *,
    template: Template,
    filled: dict[str, Any],
    workspace: Workspace,
    image: Asset | None,
    presenter: Avatar | None = None,
) -> list[str]:
    """Stills of a filled template's overlays over its image (or a plain backdrop): one a
    second in, one at the end of the footage, and the end card. JPEG data URLs."""
    spec = overlays.OverlaySpec.from_dict(filled)
    if spec.empty:
        return []
    width, height = template.width, template.height
    if image is not None:
        with image.file.open("rb") as handle, Image.open(handle) as source:
            photo = ImageOps.exif_transpose(source).convert("RGB")
        if presenter is not None and presenter.face_box:
            # Framed around the face, as the talking head will be.
            from generation.avatar import face

            found = face.Face(box=tuple(presenter.face_box), landmarks=np.zeros((478, 2)))
            array = face.frame_portrait(np.asarray(photo), found, width=width, height=height)
            backdrop = Image.fromarray(array)
        else:
            backdrop = ImageOps.fit(photo, (width, height))
    else:
        backdrop = Image.new("RGB", (width, height), (38, 42, 56))
    # Only the frames the page shows are drawn: a 257-frame 1080p template is 1.6 GB of frames.
    count, fps = template.num_frames, template.fps
    end = overlays.length(spec, count=count, fps=fps) - 1
    picks = sorted({min(fps, count - 1), count - 1, end})  # a second in, the cut, the end
    with tempfile.TemporaryDirectory() as tmp:
        brand = brand_values(workspace=workspace, workdir=Path(tmp))
        drawn = overlays.stills(
            np.asarray(backdrop), count=count, fps=fps, spec=spec, brand=brand, at=picks
        )
    stills = []
    for frame in drawn:
        still = Image.fromarray(frame)
        still.thumbnail((OVERLAY_PREVIEW_SIDE, OVERLAY_PREVIEW_SIDE))
        buffer = io.BytesIO()
        still.save(buffer, format="JPEG", quality=85)
        stills.append("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode())
    return stills


CARD_SHORT_SIDE = 180  # pixels: a 16:9 still is 320x180, as the panel's thumbnails
CARD_KEPT_SECONDS = 24 * 3600
CARD_VISUALS = ("text-card", "brand-card")


def card_still(*, storyboard: Storyboard, card: str | StoryboardScene) -> bytes | None:
    """A PNG of the storyboard's ``card``: "intro", "outro" or one of its card scenes, in its
    first aspect. None where there is no such card (the open or close not chosen, a scene
    whose visual is footage)."""
    if isinstance(card, StoryboardScene):
        if card.visual not in CARD_VISUALS:
            return None
        image = card.avatar.image if card.avatar_id and card.avatar else card.image
        kind = cards.card_kind(card.visual, title=card.title)
        text, image_name = card.on_screen_text, image.file.name if image else ""
    else:
        chosen = intro_card(storyboard) if card == "intro" else outro_card(storyboard)
        if chosen is None:
            return None
        kind, text, image_name = "brand", chosen.text, ""
    aspect = (storyboard.aspects or ["16:9"])[0]
    width, height = engine_board.frame_size(aspect, CARD_SHORT_SIDE)
    kit = brand_kit_for_workspace(workspace=storyboard.workspace)
    key = (
        "card-still:"
        + hashlib.sha256(
            repr(
                (kind, text, image_name, width, height, kit.pk, kit.updated_at, kit.logo.name)
            ).encode()
        ).hexdigest()
    )
    png = cache.get(key)
    if png is None:
        png = _draw_card(storyboard, kind, text, image_name, width, height)
        cache.set(key, png, CARD_KEPT_SECONDS)
    return png


def _draw_card(
    storyboard: Storyboard,
    kind: cards.CardKind,
    text: str,
    image_name: str,
    width: int,
    height: int,
) -> bytes:
    with tempfile.TemporaryDirectory(prefix="reelsmith-card-") as tmp:
        brand = brand_values(workspace=storyboard.workspace, workdir=Path(tmp))
        image_path = None
        if image_name:
            image_path = Path(tmp) / f"backdrop{Path(image_name).suffix}"
            with default_storage.open(image_name, "rb") as src:
                image_path.write_bytes(src.read())
        frame = cards.card_still(
            kind, text, brand=brand, width=width, height=height, image_path=image_path
        )
    out = io.BytesIO()
    Image.fromarray(frame).save(out, format="PNG", optimize=True)
    return out.getvalue()
