"""The two pipelines: input checks with actionable messages, and a whole image-to-video run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from generation.engines import EngineSettings, registry
from generation.pipelines import image_to_video, text_to_video
from generation.render import probe
from generation.types import EngineUnavailable, VideoRequest

TEXT = VideoRequest(prompt="a red ball bounces", width=64, height=64, num_frames=5, steps=2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prompt": "   "}, "The prompt is empty"),
        ({"prompt": "x" * 2001}, "shorten it to 2000"),
        ({"width": 32}, "width is 32 px; it must be between 64 and 1920"),
        ({"height": 4000}, "height is 4000 px"),
        ({"num_frames": 0}, "frame count is 0; it must be between 1 and 721"),
        ({"num_frames": 722}, "between 1 and 721"),
        ({"fps": 61}, "frame rate"),
        ({"steps": 0}, "number of steps is 0"),
        ({"steps": 201}, "between 1 and 200"),
        ({"guidance": 31.0}, "guidance is 31.0; it must be between 0 and 30"),
        ({"guidance": -1.0}, "guidance"),
        ({"mode": "image-to-video"}, "text-to-video pipeline"),
    ],
)
def test_text_to_video_refuses_bad_input_with_a_message_a_user_can_act_on(changes, message):
    """Each out-of-bounds setting is a ValueError that says what to change."""
    with pytest.raises(ValueError, match=message):
        text_to_video.check_inputs(replace(TEXT, **changes))


def test_the_edges_of_every_range_are_accepted():
    """The limits themselves are allowed."""
    for changes in (
        {"width": 64, "height": 1920, "num_frames": 721, "fps": 60, "steps": 200},
        {"num_frames": 1, "fps": 1, "steps": 1, "guidance": 0.0, "prompt": "x" * 2000},
    ):
        text_to_video.check_inputs(replace(TEXT, **changes))


def test_image_to_video_needs_an_image(tmp_path):
    """No image, a missing one, or a non-image file are each refused with a clear message."""
    request = replace(TEXT, mode="image-to-video")
    with pytest.raises(ValueError, match="needs an image"):
        image_to_video.check_inputs(request)
    with pytest.raises(ValueError, match="was not found"):
        image_to_video.check_inputs(replace(request, image_path=tmp_path / "gone.png"))
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(ValueError, match="not an image"):
        image_to_video.check_inputs(replace(request, image_path=tmp_path / "text.png"))


def test_image_to_video_refuses_an_unknown_motion(scene_png):
    """A motion outside the list is refused before any work."""
    request = replace(TEXT, mode="image-to-video", image_path=scene_png, motion="barrel-roll")
    with pytest.raises(ValueError, match="Unknown camera motion 'barrel-roll'"):
        image_to_video.check_inputs(request)


def test_text_to_video_without_an_engine_says_how_to_add_one(monkeypatch, tmp_path):
    """With no text-to-video engine installed the error says what to install or set."""
    monkeypatch.setattr(registry, "_embedded_module", lambda: None)
    with pytest.raises(EngineUnavailable, match="REELSMITH_WAN21_T2V_MODEL"):
        text_to_video.generate(TEXT, output=tmp_path / "x.mp4", settings=EngineSettings())


def test_an_engine_for_the_other_mode_is_refused(tmp_path, scene_png):
    """Camera motion cannot make text-to-video; the error says to choose another engine."""
    with pytest.raises(ValueError, match="cannot make text-to-video"):
        text_to_video.generate(
            TEXT, output=tmp_path / "x.mp4", engine="camera-motion", settings=EngineSettings()
        )


def test_image_to_video_writes_the_video_its_poster_and_its_details(tmp_path, scene_png, progress):
    """A whole run: MP4 and poster written, progress through animating then encoding."""
    request = VideoRequest(
        prompt="slow pan left over the farm",
        mode="image-to-video",
        image_path=scene_png,
        width=128,
        height=72,
        num_frames=6,
        fps=12,
        seed=5,
    )
    result = image_to_video.generate(
        request,
        output=tmp_path / "out" / "farm.mp4",
        settings=EngineSettings(),
        on_progress=progress,
    )
    assert result.engine == "camera-motion"
    assert result.poster == tmp_path / "out" / "farm.jpg" and result.poster.is_file()
    video = probe(result.output)
    assert (video.frames, video.width, video.height, video.fps) == (6, 128, 72, 12.0)
    assert progress.steps("animating")[-1] == (6, 6)
    assert [stage for *_, stage in progress.calls][-2:] == ["encoding", "encoding"]
    assert result.details["motion"] == "pan-left"
    assert result.details["prompt_analysis"]["camera_motion"] == "pan-left"  # type: ignore[index]
