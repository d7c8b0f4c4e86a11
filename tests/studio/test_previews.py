"""Pictures made for a page: the stills of a draft batch's overlays."""

from __future__ import annotations

import tracemalloc

import pytest

from studio import previews
from studio.models import Template, Workspace

pytestmark = pytest.mark.django_db


def test_the_overlay_preview_draws_only_its_stills(workspace: Workspace):
    """A long template's preview holds a few frames in memory, not the whole video
    (121 frames of 640x360 are 84 MB; the page shows three stills)."""
    template = Template.objects.create(
        workspace=workspace,
        name="Long card",
        mode="text-to-video",
        engine="embedded",
        prompt="a card",
        width=640,
        height=360,
        num_frames=121,
        fps=24,
        overlays={},
    )
    filled = {"lower_third": {"name": "Ana", "company": "Acme"}, "end_card": {"cta": "Go"}}
    tracemalloc.start()
    try:
        stills = previews.overlay_preview(
            template=template, filled=filled, workspace=workspace, image=None
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(stills) == 3 and all(s.startswith("data:image/jpeg;base64,") for s in stills)
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.0f} MB"
