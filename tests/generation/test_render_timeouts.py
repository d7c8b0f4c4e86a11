"""Every ffmpeg and ffprobe the engine runs has a time limit: a hung one fails, never waits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generation import limits, render


def test_a_probe_that_never_ends_fails_with_its_limit(tmp_path: Path, monkeypatch) -> None:
    """ffprobe reading a file that never delivers (a pipe nobody writes) stops at the limit."""
    never = tmp_path / "never.mp4"
    os.mkfifo(never)
    monkeypatch.setattr(limits, "FFMPEG_TIMEOUT_SECONDS", 1)
    with pytest.raises(render.RenderError, match="within 1 s"):
        render.probe(never)
