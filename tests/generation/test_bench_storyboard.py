"""bench/storyboard.py builds the storyboard its figures describe."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from generation.storyboard.board import check_storyboard

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "storyboard.py"


def test_the_bench_storyboard_has_six_scenes_two_from_the_engine():
    """A title, three text cards and two embedded-engine scenes, about 45 s of voice; valid."""
    spec = importlib.util.spec_from_file_location("bench_storyboard", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        board = module.build(engine=True)
    finally:
        del sys.modules[spec.name]
    visuals = [s.visual for s in board.scenes]
    assert len(visuals) == 6
    assert visuals.count("text-to-video") == 2
    assert board.scenes[0].title
    words = sum(len(s.voiceover.split()) for s in board.scenes)
    assert 35 <= words / 3.1 <= 55
    check_storyboard(board)
