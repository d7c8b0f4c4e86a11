"""Pictures made for a page, not stored: a progress preview as a data URL, and the stills of a
filled template's overlays that a draft batch shows.
"""

from __future__ import annotations

import base64
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from generation import overlays
from studio.brand import brand_values
from studio.models import Asset, Avatar, Template, Workspace

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
