"""Storyboard: a script (or scenes) in; one finished MP4 per aspect, with voice, music, captions.

Example::

    from pathlib import Path
    from generation.pipelines import storyboard

    board = storyboard.from_text(Path("post.md").read_text(), music="calm")
    result = storyboard.generate(board, output=Path("post.mp4"))
    print(result.outputs, result.duration)

The flow reads top to bottom in ``generate``. Its two halves are public so the studio can run
each scene's footage as a job of its own (``scene_footage``, keyed by ``footage_key``: what the
engine sees, so an unchanged scene is reused) and then one assembly job (``assemble``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from generation import render
from generation.avatar import captions, tts
from generation.avatar.speech import Speech, Word
from generation.engines import EngineSettings, default_engine, settings_from_env
from generation.limits import AVATAR_MAX_SIDE, AVATAR_MIN_SIDE, MAX_FRAMES, MAX_SIDE
from generation.storyboard import cards, mix, music, timeline
from generation.storyboard.board import (
    ENGINE_VISUALS,
    FPS,
    MUSIC_BEDS,
    Scene,
    Storyboard,
    all_scenes,
    check_storyboard,
    check_voiceover,
    frame_size,
)
from generation.storyboard.split import split_script
from generation.types import ProgressCallback, VideoRequest, no_progress

ENGINE_FRAMES = 49  # frames asked of an engine for one scene: about 2 s, fitted to the scene
ENGINE_FPS = 24
# Voice lines kept per process, so a batch's rows that say the same line speak it once (a
# few seconds of audio each: a megabyte at most).
VOICE_CACHE_SIZE = 32


@dataclass(frozen=True)
class Voice:
    """A scene's voice: the WAV and its words, timed from the WAV's first sound."""

    wav: Path
    seconds: float
    words: list[Word]


@dataclass(frozen=True)
class Assembly:
    """One aspect's finished video."""

    aspect: str
    output: Path
    poster: Path
    width: int
    height: int
    duration: float  # seconds
    captions: dict[str, str]  # "vtt" / "srt" -> path, when written
    loudness_lufs: float  # the mix's integrated loudness before normalisation
    voice_starts: list[float]  # seconds: when each scene's voice starts (its picture is in)


@dataclass(frozen=True)
class StoryboardResult:
    outputs: dict[str, Assembly]  # aspect -> its video
    scenes: int
    duration: float
    seconds: float  # wall time of the whole pipeline
    footage_seconds: float  # of which making the scenes' footage
    assembly_seconds: float  # and assembling


def from_text(
    text: str,
    *,
    speed: float = 1.0,
    engine: str | None = None,
    **settings: object,
) -> Storyboard:
    """A storyboard from a script or an article: text cards, or ``engine`` footage for the
    scenes (headings stay title cards). ``settings``: any other Storyboard field."""
    scenes = []
    for draft in split_script(text, speed=speed):
        visual = "text-to-video" if engine and draft.kind == "scene" else "text-card"
        scenes.append(
            Scene(
                visual=visual,  # type: ignore[arg-type]
                voiceover=draft.voiceover,
                on_screen_text=draft.on_screen_text,
                prompt=draft.prompt,
                engine=engine if visual == "text-to-video" else None,
                title=draft.kind == "title",
            )
        )
    return Storyboard(scenes=tuple(scenes), speed=speed, **settings)  # type: ignore[arg-type]


def generate(
    board: Storyboard,
    *,
    output: Path,
    settings: EngineSettings | None = None,
    on_progress: ProgressCallback = no_progress,
    threads: int = 0,
) -> StoryboardResult:
    """Make every scene's footage in this process and assemble one MP4 per aspect: the first
    aspect at ``output``, the others beside it as ``<stem>-9x16.mp4`` and so on."""
    started = time.monotonic()

    # 1. Check inputs: every scene, the voice, the music, the aspects, before anything is made.
    settings = settings or settings_from_env()
    check_storyboard(board, settings=settings)
    scenes = all_scenes(board)
    output.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="reelsmith-storyboard-") as tmp:
        work = Path(tmp)

        # 2. Voices: each scene's speech, so the timeline knows how long each scene lasts.
        voices = make_voices(board, work, on_progress=on_progress)
        plan = plan_timeline(board, voices)

        # 3. Footage per scene and aspect (engines' clips are shared between aspects).
        footage_started = time.monotonic()
        made: dict[str, dict[str, Path]] = {}
        total = len(scenes) * len(board.aspects)
        done = 0
        for aspect in board.aspects:
            made[aspect] = {}
            for index, scene in enumerate(scenes):
                frames = plan.scenes[index].frames
                key = footage_key(scene, board=board, aspect=aspect, frames=frames)
                if key not in made[aspect]:
                    made[aspect][key] = scene_footage(
                        scene,
                        board=board,
                        aspect=aspect,
                        frames=frames,
                        out_dir=work / "footage",
                        settings=settings,
                    )
                done += 1
                preview = _thumbnail(made[aspect][key].with_suffix(".jpg"))
                on_progress(done, total, preview=preview, stage="scene footage")
        footage_seconds = time.monotonic() - footage_started

        # 4-6. Timeline, mix and render, per aspect (the sound is mixed once for all).
        assembly_started = time.monotonic()
        outputs: dict[str, Assembly] = {}
        for number, aspect in enumerate(board.aspects):
            target = output if number == 0 else _aspect_path(output, aspect)
            footage = [
                made[aspect][footage_key(s, board=board, aspect=aspect, frames=t.frames)]
                for s, t in zip(scenes, plan.scenes, strict=True)
            ]
            outputs[aspect] = assemble(
                board,
                footage,
                target,
                aspect,
                voices=voices,
                work=work,
                on_progress=on_progress,
                threads=threads,
            )
        assembly_seconds = time.monotonic() - assembly_started

    first = outputs[board.aspects[0]]
    return StoryboardResult(
        outputs=outputs,
        scenes=len(scenes),
        duration=first.duration,
        seconds=time.monotonic() - started,
        footage_seconds=footage_seconds,
        assembly_seconds=assembly_seconds,
    )


# Voices -------------------------------------------------------------------------------------


def make_voices(
    board: Storyboard, work: Path, *, on_progress: ProgressCallback = no_progress
) -> list[Voice | None]:
    """Each scene's voice (None for a silent scene), in play order."""
    scenes = all_scenes(board)
    voices: list[Voice | None] = []
    for index, scene in enumerate(scenes):
        on_progress(index, len(scenes), stage="voices")
        if not scene.voiceover.strip():
            voices.append(None)
            continue
        text = check_voiceover(scene.voiceover, where=f"Scene {index + 1}")
        speech = _spoken(tts.speak, text, board.voice, board.speed)
        wav = tts.write_wav(speech, work / "voices" / f"{index:03d}.wav")
        voices.append(Voice(wav=wav, seconds=speech.duration, words=speech.words))
    on_progress(len(scenes), len(scenes), stage="voices")
    return voices


@functools.lru_cache(maxsize=VOICE_CACHE_SIZE)
def _spoken(speak: Callable[..., Speech], text: str, voice: str | None, speed: float) -> Speech:
    """A voice line, spoken once per process for each text, voice and speed. ``speak`` is part
    of the key, so a replaced speaker (a test's) is never answered from another's lines."""
    return _from_first_sound(speak(text, voice=voice, speed=speed))


def voice_lines_spoken() -> int:
    """How many voice lines this process has spoken (lines said again are not counted)."""
    return _spoken.cache_info().misses


def _from_first_sound(speech: Speech) -> Speech:
    """The speech with its leading silence cut, so its first sound is heard when its picture
    appears; the words' times move with it."""
    audio = speech.audio
    loud = np.abs(audio) > max(float(np.abs(audio).max()) / 30, 1e-4)
    first = int(np.argmax(loud)) if loud.any() else 0
    if first == 0:
        return speech
    shift = first / speech.sample_rate
    words = [Word(w.text, max(0.0, w.start - shift), max(0.0, w.end - shift)) for w in speech.words]
    return dataclasses.replace(speech, audio=audio[first:], words=words)


def plan_timeline(board: Storyboard, voices: list[Voice | None]) -> timeline.Timeline:
    """The storyboard's timeline from its voices' lengths."""
    scenes = all_scenes(board)
    return timeline.plan(
        [v.seconds if v else 0.0 for v in voices],
        [s.duration for s in scenes],
        [s.transition for s in scenes],
        fps=FPS,
    )


# Footage ------------------------------------------------------------------------------------


def _engine_request(scene: Scene, board: Storyboard, aspect: str, frames: int) -> VideoRequest:
    width, height = frame_size(aspect, board.short_side)
    scale = min(1.0, MAX_SIDE / max(width, height))
    # Engines want sides in multiples of 16; the assembly scales the clip to cover the frame.
    width, height = (max(64, int(side * scale) // 16 * 16) for side in (width, height))
    if scene.visual == "image-to-video":
        count = min(MAX_FRAMES, frames)  # camera motion can follow the whole scene
        return VideoRequest(
            prompt=scene.prompt or "slow zoom in",
            mode="image-to-video",
            width=width,
            height=height,
            num_frames=count,
            fps=FPS,
            seed=board.seed,
            image_path=scene.image_path,
            style=board.style,
        )
    return VideoRequest(
        prompt=scene.prompt,
        width=width,
        height=height,
        num_frames=ENGINE_FRAMES,
        fps=ENGINE_FPS,
        seed=board.seed,
        style=board.style,
    )


def footage_key(scene: Scene, *, board: Storyboard, aspect: str, frames: int) -> str:
    """A hash of everything that shapes the scene's footage: equal keys, equal footage."""
    width, height = frame_size(aspect, board.short_side)
    seen: dict[str, object] = {"visual": scene.visual}
    if scene.visual in ENGINE_VISUALS:
        request = _engine_request(scene, board, aspect, frames)
        seen |= {
            "engine": scene.engine,
            "request": {
                k: str(v) if isinstance(v, Path) else v
                for k, v in dataclasses.asdict(request).items()
                if k != "style" or v is not None  # keeps the keys of footage made before styles
            },
        }
    elif scene.visual == "talking-head":
        seen |= {
            "image": str(scene.image_path),
            "voiceover": scene.voiceover,
            "voice": board.voice,
            "speed": board.speed,
            "size": [width, height],
            "seed": board.seed,
        }
    else:
        seen |= {
            "text": scene.on_screen_text,
            "title": scene.title,
            "image": str(scene.image_path) if scene.image_path else None,
            "brand": repr(board.brand),
            "size": [width, height],
            "frames": frames,
            "fps": FPS,
        }
    return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()


def scene_footage(
    scene: Scene,
    *,
    board: Storyboard,
    aspect: str,
    frames: int,
    out_dir: Path,
    settings: EngineSettings | None = None,
    on_progress: ProgressCallback = no_progress,
) -> Path:
    """Make one scene's footage (silent MP4) and return its path, named by its footage key."""
    key = footage_key(scene, board=board, aspect=aspect, frames=frames)
    path = out_dir / f"{key[:24]}.mp4"
    out_dir.mkdir(parents=True, exist_ok=True)
    width, height = frame_size(aspect, board.short_side)
    if scene.visual in ("text-card", "brand-card"):
        return cards.write_card(
            cards.card_kind(scene.visual, title=scene.title),
            scene.on_screen_text,
            path,
            brand=board.brand,
            width=width,
            height=height,
            frames=frames,
            fps=FPS,
            image_path=scene.image_path,
        )
    if scene.visual == "talking-head":
        from generation.pipelines import avatar

        assert scene.image_path is not None  # check_storyboard requires one
        width, height = _avatar_size(width, height)
        portrait = avatar.AvatarRequest(
            image_path=scene.image_path,
            script=scene.voiceover,
            voice=board.voice,
            speed=board.speed,
            fps=FPS,
            width=width,
            height=height,
            captions="none",
            seed=board.seed,
        )
        return avatar.generate(portrait, output=path, on_progress=on_progress).output
    from generation.pipelines import image_to_video, text_to_video

    request = _engine_request(scene, board, aspect, frames)
    pipeline = image_to_video if scene.visual == "image-to-video" else text_to_video
    settings = settings or settings_from_env()
    engine = scene.engine or default_engine(request.mode, settings)
    return pipeline.generate(
        request, output=path, engine=engine, settings=settings, on_progress=on_progress
    ).output


def _thumbnail(poster: Path) -> Image.Image | None:
    """A small copy of a scene's poster for the progress callback (the page's scene strip)."""
    if not poster.is_file():
        return None
    with Image.open(poster) as still:
        image = still.convert("RGB")
    image.thumbnail((render.THUMBNAIL_SIDE, render.THUMBNAIL_SIDE))
    return image


def _avatar_size(width: int, height: int) -> tuple[int, int]:
    """The frame's shape within the avatar's limits (even sides); the assembly scales it."""
    scale = max(AVATAR_MIN_SIDE / min(width, height), 1.0)
    scale = min(scale, AVATAR_MAX_SIDE / max(width, height))
    return tuple(  # type: ignore[return-value]
        max(AVATAR_MIN_SIDE, min(AVATAR_MAX_SIDE, 2 * round(side * scale / 2)))
        for side in (width, height)
    )


# Assembly -----------------------------------------------------------------------------------


def assemble(
    board: Storyboard,
    footage: list[Path],
    output: Path,
    aspect: str,
    *,
    voices: list[Voice | None] | None = None,
    work: Path | None = None,
    on_progress: ProgressCallback = no_progress,
    threads: int = 0,
    size: tuple[int, int] | None = None,
) -> Assembly:
    """Mix, fit, join and render one aspect from the scenes' footage (in play order), at
    ``size`` where given (a voiceover keeps its clip's own size), else the aspect's."""
    scenes = all_scenes(board)
    if len(footage) != len(scenes):
        raise ValueError(
            f"The storyboard has {len(scenes)} scenes but {len(footage)} footage files."
        )
    with tempfile.TemporaryDirectory(prefix="reelsmith-assembly-") as tmp:
        work = work or Path(tmp)
        voices = voices if voices is not None else make_voices(board, work)

        # 4. Timeline: each scene's place, and how its footage fills it.
        plan = plan_timeline(board, voices)
        fits, leads = [], []
        for scene, timing, path in zip(scenes, plan.scenes, footage, strict=True):
            clip_frames = _frames_at_fps(path)
            fits.append(timeline.fit_footage(clip_frames, timing.frames, scene.fit))
            # A talking head's lips must move with the voice: it starts when its voice does.
            leads.append(timing.transition_frames if scene.visual == "talking-head" else 0)

        # 5. Mix: voices, ducked music, the footage's own sound where an engine made one,
        # two-pass loudness normalisation (once for every aspect that shares the footage).
        on_progress(0, 2, stage="mixing")
        heard = footage_sounds(scenes, footage, fits)
        sound = work / f"sound-{_sound_key(board, voices, heard)}.wav"
        loudness_file = sound.with_suffix(".json")
        if sound.exists() and loudness_file.exists():
            measured = mix.Loudness(**json.loads(loudness_file.read_text()))
        else:
            bed, loop = _music(board, plan.seconds, work)
            premixed = work / "premix.wav"
            measured = mix.premix(
                plan,
                [v.wav if v else None for v in voices],
                bed,
                board.music_db,
                premixed,
                loop_music=loop,
                footage_sounds=heard,
            )
            mix.normalise(premixed, measured, sound)
            loudness_file.write_text(json.dumps(dataclasses.asdict(measured)))
        on_progress(1, 2, stage="mixing")

        # 6. Captions from the word timings, then the picture, muxed with the sound.
        # Cues per scene, so a heading without a full stop never shares a cue with the next.
        cues = [
            cue
            for v, t in zip(voices, plan.scenes, strict=True)
            if v is not None
            for cue in captions.cues(_shifted(v.words, plan.seconds_of(t.voice_start)))
        ]
        caption_files: dict[str, str] = {}
        burn = None
        if board.captions != "none" and cues:
            caption_files = {
                "vtt": str(captions.write_vtt(cues, output.with_suffix(".vtt"))),
                "srt": str(captions.write_srt(cues, output.with_suffix(".srt"))),
            }
            if board.captions == "burn":
                burn = Path(caption_files["srt"])
        width, height = size or frame_size(aspect, board.short_side)
        mix.render_aspect(
            plan,
            footage,
            fits,
            leads,
            [s.transition for s in scenes],
            sound,
            output,
            size=(width, height),
            burn=burn,
            threads=threads,
        )
        on_progress(2, 2, stage="mixing")

        # 7. The poster: the first scene with words, once it is fully in.
        first = next(
            (t for t, s in zip(plan.scenes, scenes, strict=True) if s.visual != "brand-card"),
            plan.scenes[0],
        )
        at = plan.seconds_of(
            first.voice_start + min(first.frames - first.transition_frames - 1, FPS)
        )
        poster = mix.poster(output, at, output.with_suffix(".jpg"))

    return Assembly(
        aspect=aspect,
        output=output,
        poster=poster,
        width=width,
        height=height,
        duration=plan.seconds,
        captions=caption_files,
        loudness_lufs=measured.integrated,
        voice_starts=[plan.seconds_of(t.voice_start) for t in plan.scenes],
    )


def footage_sounds(
    scenes: list[Scene], footage: list[Path], fits: list[timeline.FootageFit]
) -> list[mix.FootageSound | None]:
    """Per scene, the footage whose own sound is mixed (an engine's clip with a soundtrack,
    not muted), or None. A talking head's footage carries its voice, mixed already."""
    heard: list[mix.FootageSound | None] = []
    for scene, path, fit in zip(scenes, footage, fits, strict=True):
        if scene.visual in ENGINE_VISUALS and scene.sound != "mute" and render.has_audio(path):
            heard.append(mix.FootageSound(path, duck=scene.sound == "duck", loop=fit.loops > 1))
        else:
            heard.append(None)
    return heard


def _frames_at_fps(path: Path) -> int:
    """How many storyboard frames a clip fills at its own speed, from its header (ffprobe's
    frame count decodes the whole clip)."""
    with av.open(str(path)) as box:
        stream = box.streams.video[0]
        if stream.frames and stream.average_rate:
            return max(1, round(stream.frames / float(stream.average_rate) * FPS))
    return max(1, round(render.probe(path).duration * FPS))


def _shifted(words: list[Word], seconds: float) -> list[Word]:
    return [Word(w.text, w.start + seconds, w.end + seconds) for w in words]


def _sound_key(
    board: Storyboard, voices: list[Voice | None], heard: list[mix.FootageSound | None]
) -> str:
    seen: dict[str, object] = {
        "voices": [[v.wav.name, v.seconds] if v else None for v in voices],
        "music": str(board.music),
        "level": board.music_db,
        "transitions": [s.transition for s in all_scenes(board)],
        "durations": [s.duration for s in all_scenes(board)],
    }
    if any(heard):  # keeps the keys of the mixes made before footage had sound
        seen["footage"] = [[str(h.path), h.duck, h.loop] if h else None for h in heard]
    return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()[:16]


def _music(board: Storyboard, seconds: float, work: Path) -> tuple[Path | None, bool]:
    """The music file to mix, and whether it must loop to last the video."""
    if board.music is None:
        return None, False
    if board.music in MUSIC_BEDS:
        return music.write_bed(str(board.music), seconds, work / f"bed-{board.music}.wav"), False
    path = Path(board.music)
    return path, music.check_music(path) < seconds


def _aspect_path(output: Path, aspect: str) -> Path:
    return output.with_name(f"{output.stem}-{aspect.replace(':', 'x')}{output.suffix}")
