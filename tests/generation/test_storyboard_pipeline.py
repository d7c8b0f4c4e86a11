"""The storyboard pipeline end to end, and its halves as the studio will run them."""

from __future__ import annotations

import dataclasses

import pytest

from generation.pipelines import storyboard
from generation.render import probe
from generation.storyboard.board import BrandCard, Scene, Storyboard, all_scenes

TEXT = "# Rosa's\n\nOur bakery opens at seven.\n\nA red ball bounces on green grass."


@pytest.fixture
def mixed_board(scene_png) -> Storyboard:
    """A title card, an embedded-engine scene and a camera-motion scene, tiny."""
    board = storyboard.from_text(TEXT, short_side=90, music="upbeat", seed=3)
    title, first, second = board.scenes
    scenes = (
        title,
        dataclasses.replace(
            first,
            visual="image-to-video",
            engine="camera-motion",
            image_path=scene_png,
            prompt="slow zoom in",
        ),
        dataclasses.replace(
            second,
            visual="text-to-video",
            engine="embedded",
            prompt="a red ball bounces on green grass",
            transition="fade-black",
        ),
    )
    return dataclasses.replace(board, scenes=scenes)


def test_from_text_makes_text_cards_and_a_title(tmp_path):
    """Without an engine every scene is a text card; the heading is a title card."""
    board = storyboard.from_text(TEXT)
    assert [(s.visual, s.title) for s in board.scenes] == [
        ("text-card", True),
        ("text-card", False),
        ("text-card", False),
    ]
    engined = storyboard.from_text(TEXT, engine="embedded")
    assert [s.visual for s in engined.scenes] == ["text-card", "text-to-video", "text-to-video"]


def test_engine_scenes_are_made_and_fitted_to_the_timeline(mixed_board, tmp_path, progress):
    """Camera motion and the embedded model make footage; the video lasts the timeline."""
    result = storyboard.generate(mixed_board, output=tmp_path / "out.mp4", on_progress=progress)
    made = result.outputs["16:9"]
    assert probe(made.output).duration == pytest.approx(made.duration, abs=0.1)
    assert (made.width, made.height) == (160, 90)
    stages = {stage for *_, stage in progress.calls}
    assert {"voices", "scene footage", "mixing"} <= stages
    assert progress.steps("scene footage")[-1] == (3, 3)
    previews = [preview for *_, preview, stage in progress.calls if stage == "scene footage"]
    assert all(p is not None and max(p.size) <= 320 for p in previews)
    assert result.footage_seconds > 0 and result.assembly_seconds > 0


def test_the_studio_can_make_each_scene_then_assemble(mixed_board, tmp_path):
    """scene_footage per scene (as separate jobs would) and then assemble give the video."""
    voices = storyboard.make_voices(mixed_board, tmp_path / "voices")
    plan = storyboard.plan_timeline(mixed_board, voices)
    footage = [
        storyboard.scene_footage(
            scene, board=mixed_board, aspect="1:1", frames=t.frames, out_dir=tmp_path / "scenes"
        )
        for scene, t in zip(all_scenes(mixed_board), plan.scenes, strict=True)
    ]
    made = storyboard.assemble(mixed_board, footage, tmp_path / "square.mp4", "1:1")
    assert (made.width, made.height) == (90, 90)
    assert made.duration == pytest.approx(plan.seconds)
    assert probe(made.output).duration == pytest.approx(plan.seconds, abs=0.1)


def test_editing_one_scene_changes_only_that_scenes_footage_key(mixed_board):
    """A new prompt for one scene makes one new key; music and captions change none."""

    def keys(board: Storyboard) -> list[str]:
        return [
            storyboard.footage_key(s, board=board, aspect="16:9", frames=100)
            for s in all_scenes(board)
        ]

    before = keys(mixed_board)
    scenes = list(mixed_board.scenes)
    scenes[2] = dataclasses.replace(scenes[2], prompt="a blue cube slides left")
    edited = keys(dataclasses.replace(mixed_board, scenes=tuple(scenes)))
    assert [a == b for a, b in zip(before, edited, strict=True)] == [True, True, False]
    remixed = dataclasses.replace(mixed_board, music="calm", captions="burn", music_db=-20)
    assert keys(remixed) == before
    voiced = list(mixed_board.scenes)
    voiced[2] = dataclasses.replace(voiced[2], voiceover="New words for the ball.")
    assert keys(dataclasses.replace(mixed_board, scenes=tuple(voiced)))[2] == before[2]


def test_a_bad_scene_is_refused_before_anything_is_made(tmp_path):
    """The checks run first: nothing is written when one scene cannot be made."""
    board = Storyboard(
        scenes=(
            Scene(voiceover="Hello."),
            Scene(visual="text-to-video", voiceover="Hi", prompt="x", engine="nonesuch"),
        ),
    )
    with pytest.raises(ValueError, match="Scene 2: the engine 'nonesuch' is not installed"):
        storyboard.generate(board, output=tmp_path / "out" / "x.mp4")
    assert not (tmp_path / "out").exists()


def test_several_aspects_are_written_beside_each_other(tmp_path):
    """The first aspect at the output path, the others with the aspect in the name."""
    board = dataclasses.replace(
        storyboard.from_text("Hello there, and welcome."),
        short_side=90,
        aspects=("16:9", "9:16"),
        captions="burn",
    )
    result = storyboard.generate(board, output=tmp_path / "hi.mp4")
    tall = result.outputs["9:16"]
    assert tall.output == tmp_path / "hi-9x16.mp4"
    assert (probe(tall.output).width, probe(tall.output).height) == (90, 160)
    assert tall.poster.is_file() and tall.captions["srt"].endswith("hi-9x16.srt")


def test_brand_cards_and_a_duplicated_scene_render(tmp_path):
    """Two silent brand cards and two scenes with the same footage share their sources."""
    scene = Scene(voiceover="Fresh bread daily.", on_screen_text="Fresh bread")
    board = Storyboard(
        scenes=(scene, scene),
        intro=BrandCard("Rosa's", seconds=1.0),
        outro=BrandCard("Rosa's", seconds=1.0),
        short_side=90,
        captions="none",
    )
    result = storyboard.generate(board, output=tmp_path / "dup.mp4")
    made = result.outputs["16:9"]
    assert result.scenes == 4
    assert made.captions == {}
    assert probe(made.output).duration == pytest.approx(made.duration, abs=0.1)


def test_a_talking_head_scene_speaks_its_line(tmp_path):
    """A talking-head scene is made by the avatar pipeline at a size it accepts, and fitted."""
    from tests.generation.avatar.conftest import astronaut, save

    portrait = save(astronaut(), tmp_path / "maya.png")
    board = Storyboard(
        scenes=(
            Scene(voiceover="Welcome to the bakery.", on_screen_text="Welcome"),
            Scene(visual="talking-head", voiceover="I bake every morning.", image_path=portrait),
        ),
        short_side=90,
        captions="none",
    )
    result = storyboard.generate(board, output=tmp_path / "head.mp4")
    made = result.outputs["16:9"]
    assert (probe(made.output).width, probe(made.output).height) == (160, 90)
    assert probe(made.output).duration == pytest.approx(made.duration, abs=0.1)
