"""The assembly's ffmpeg graphs, composed with ffmpeg-python: the sound mix and the picture.

The sound is made once for every aspect, in two runs: (1) the scenes' voices joined with audio
cross-fades where the pictures cross-fade, the music under them ducked by sidechain compression
and faded out at the end, the sound an engine made with a scene's footage (LTX-2's) joined the
same way and either kept at its level or ducked with the music, written as a WAV while loudnorm
measures it; (2) loudnorm applied
with the measured values (linear, two-pass EBU R128) to -14 LUFS integrated. The picture is made
per aspect: each scene's footage fitted to its scene (slowed at most 2x, held or looped), scaled
to cover the frame, joined by cuts, cross-fades, fades through black or slides (xfade),
captions burned in when asked, and muxed with the sound as H.264 + AAC.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from generation import render
from generation.storyboard.timeline import END_SECONDS, FootageFit, Timeline

AUDIO_RATE = 48_000
TARGET_LUFS = -14.0  # integrated loudness of every storyboard (what the big platforms play at)
TARGET_TRUE_PEAK = -1.5  # dBTP
TARGET_LRA = 11.0
# x264 for the assembly's one real encode, most of its CPU time. On the bench's 49 s at 1280x720
# (same graph, CPU seconds): veryfast at CRF 23 took 10.4 s for 2.0 MB; superfast at CRF 20
# 10.9 to 13.5 s for 6.0 MB; veryfast at CRF 20 14.3 s. At CRF 23 (x264's default), cards'
# gradients and text show no blocks.
MIX_PRESET = "veryfast"
MIX_CRF = 23
# Cards and generated scenes move slowly and smoothly, so the simplest motion search and no
# inter sub-partitions lose nothing here: on the bench's graph the encode took 10.5 s against
# veryfast's own 12.0-14.1 s, at the same size (1.89 MB) and the same SSIM (0.99793 vs 0.99800).
MIX_X264_PARAMS = "me=dia:subme=1:partitions=i8x8,i4x4"
XFADE = {"crossfade": "fade", "fade-black": "fadeblack", "slide": "slideleft"}
VOICE_COMPRESSION = {"threshold": 0.05, "ratio": 4, "attack": 3, "release": 150, "makeup": 2}
PREMIX_GAIN_DB = 7.0  # raised into the limiter, which shaves the peaks
PREMIX_PEAK = 0.125  # the premix's peak limit (-18 dBFS): at most 12 dB above its loudness
# Ducking: the compressor listens to the voice and pulls the music down while it speaks.
DUCK = {"threshold": 0.01, "ratio": 20, "attack": 15, "release": 350, "makeup": 1}


@dataclass(frozen=True)
class FootageSound:
    """A scene's footage whose own sound is mixed: at its level, or ducked under the voice."""

    path: Path  # the footage MP4, with an audio stream
    duck: bool  # pulled down while the voice speaks, as the music is
    loop: bool = False  # the footage loops to fill its scene, so its sound does too


@dataclass(frozen=True)
class Loudness:
    """What loudnorm's first pass measured."""

    integrated: float
    true_peak: float
    lra: float
    threshold: float
    offset: float


def _run(stream: Any, *, what: str) -> str:
    """Run a compiled graph under the project's ffmpeg timeout; returns its stderr."""
    command = ffmpeg.compile(stream, cmd=render._binary("ffmpeg"), overwrite_output=True)
    done = render.run_tool(command, what=what, text=True)
    if done.returncode != 0:
        raise render.RenderError(f"{what} failed: {render._last_line(done.stderr)}")
    return str(done.stderr)


# Sound ----------------------------------------------------------------------------------------


def _joined(timeline: Timeline, parts: list[Any | None]) -> Any:
    """Each scene's audio (None: silence) padded or cut to its scene, and the scenes joined as
    the pictures are: audio cross-fades where they cross-fade, plain joins at cuts."""
    fps = timeline.fps
    # One source of silence, split, for every silent scene: ffmpeg-python merges equal nodes,
    # so two identical silences would be one node with two outputs, which ffmpeg refuses.
    silent = sum(part is None for part in parts)
    silence = (
        ffmpeg.input(f"anullsrc=r={AUDIO_RATE}:cl=mono", f="lavfi")
        .audio.filter("aformat", sample_fmts="fltp", channel_layouts="mono")
        .filter_multi_output("asplit", silent)
        if silent
        else None
    )
    used = 0
    joined: Any = None
    for timing, part in zip(timeline.scenes, parts, strict=True):
        seconds = timing.frames / fps
        if part is None:
            assert silence is not None
            part = silence[used]
            used += 1
        part = part.filter("atrim", end=f"{seconds:.6f}").filter("asetpts", "PTS-STARTPTS")
        if joined is None:
            joined = part
        elif timing.transition_frames:
            overlap = timing.transition_frames / fps
            joined = ffmpeg.filter(
                [joined, part], "acrossfade", d=f"{overlap:.6f}", c1="tri", c2="tri"
            )
        else:
            joined = ffmpeg.concat(joined, part, v=0, a=1)
    return joined


def _mono(path: Path, **reading: Any) -> Any:
    return (
        ffmpeg.input(str(path), **reading)
        .audio.filter("aresample", AUDIO_RATE)
        .filter("aformat", sample_fmts="fltp", channel_layouts="mono")
    )


def _voice_track(timeline: Timeline, voices: list[Path | None]) -> Any:
    """The scenes' voices, each starting when its picture is fully in, joined like the pictures."""
    parts: list[Any | None] = []
    for timing, voice in zip(timeline.scenes, voices, strict=True):
        if voice is None:
            parts.append(None)
            continue
        lead_ms = round(timing.transition_frames / timeline.fps * 1000, 3)
        parts.append(_mono(voice).filter("adelay", delays=f"{lead_ms}", all=1).filter("apad"))
    return _joined(timeline, parts)


def _footage_parts(sounds: list[FootageSound | None]) -> list[Any | None]:
    """Each scene's footage sound (None where none is mixed), from the scene's first frame
    (where its picture starts) at its own speed: footage slowed to fill its scene is not
    slowed in sound, which would drop its pitch, but ends in silence (or loops with a looping
    picture). A clip two scenes use is read once and split, as the picture's is."""
    sources = [(s.path, s.loop) for s in sounds if s is not None]
    uses = {source: sources.count(source) for source in sources}
    splits = {
        (path, loop): _mono(path, **({"stream_loop": -1} if loop else {})).filter_multi_output(
            "asplit", count
        )
        for (path, loop), count in uses.items()
    }
    taken = dict.fromkeys(uses, 0)
    parts: list[Any | None] = []
    for sound in sounds:
        if sound is None:
            parts.append(None)
            continue
        source = (sound.path, sound.loop)
        parts.append(splits[source][taken[source]].filter("apad"))
        taken[source] += 1
    return parts


def premix(
    timeline: Timeline,
    voices: list[Path | None],
    music: Path | None,
    music_db: float,
    output: Path,
    *,
    loop_music: bool = False,
    footage_sounds: list[FootageSound | None] | None = None,
) -> Loudness:
    """Write the mix before loudness normalisation to ``output`` (WAV) and measure it.
    ``footage_sounds``: per scene, the footage whose own sound is mixed, or None."""
    total = timeline.seconds
    sounds = footage_sounds or [None] * len(timeline.scenes)
    parts = _footage_parts(sounds)
    kept = [p if s and not s.duck else None for p, s in zip(parts, sounds, strict=True)]
    ducked = [p if s and s.duck else None for p, s in zip(parts, sounds, strict=True)]
    # A voice's peaks stand far above its loudness; evened out (as broadcast voices are), the
    # mix can be raised to -14 LUFS by loudnorm's linear gain without passing the peak limit.
    voice = _voice_track(timeline, voices).filter("acompressor", **VOICE_COMPRESSION)
    # What goes under the voice: the music bed and the footage sounds that duck, one bus that
    # the voice's compressor pulls down while it speaks.
    under: list[Any] = []
    if music is not None:
        options = {"stream_loop": -1} if loop_music else {}
        under.append(
            _mono(music, **options)
            .filter("atrim", end=f"{total:.6f}")
            .filter("asetpts", "PTS-STARTPTS")
            .filter("volume", f"{music_db}dB")
        )
    if any(ducked):
        under.append(_joined(timeline, ducked))
    layers = [voice]
    if under:
        split = voice.filter_multi_output("asplit", 2)
        heard, key = split[0], split[1]
        bus = under[0] if len(under) == 1 else _summed(under)
        bus = ffmpeg.filter([bus, key], "sidechaincompress", **DUCK)
        fade_at = max(0.0, total - END_SECONDS)
        bus = bus.filter("afade", t="out", st=f"{fade_at:.6f}", d=f"{END_SECONDS:.6f}")
        layers = [heard, bus]
    if any(kept):
        layers.append(_joined(timeline, kept))
    mixed = layers[0] if len(layers) == 1 else _summed(layers)
    mixed = mixed.filter("volume", f"{PREMIX_GAIN_DB}dB")
    mixed = mixed.filter("alimiter", limit=PREMIX_PEAK, attack=2, release=50, level="disabled")
    split = mixed.filter_multi_output("asplit", 2)
    to_file, to_meter = split[0], split[1]
    meter = to_meter.filter(
        "loudnorm",
        I=TARGET_LUFS,
        TP=TARGET_TRUE_PEAK,
        LRA=TARGET_LRA,
        print_format="json",
    )
    graph = ffmpeg.merge_outputs(
        ffmpeg.output(to_file, str(output), acodec="pcm_f32le", ar=AUDIO_RATE),
        ffmpeg.output(meter, "-", f="null"),
    )
    return _measured(_run(graph, what="mixing the storyboard's sound"))


def _summed(streams: list[Any]) -> Any:
    """The streams added at their own levels, as long as the first (the voice, or the bus)."""
    return ffmpeg.filter(streams, "amix", inputs=len(streams), duration="first", normalize=0)


def _measured(stderr: str) -> Loudness:
    found = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if not found:
        raise render.RenderError("loudnorm printed no measurement.")
    values = json.loads(found[-1])

    def number(key: str) -> float:
        value = float(values[key])
        return value if value > -70 else -70.0  # silence reads "-inf"

    return Loudness(
        integrated=number("input_i"),
        true_peak=number("input_tp"),
        lra=max(0.0, float(values["input_lra"])),
        threshold=number("input_thresh"),
        offset=float(values["target_offset"]),
    )


def normalise(premixed: Path, measured: Loudness, output: Path) -> Path:
    """The mix at -14 LUFS integrated: loudnorm's second pass, with the first pass's values."""
    sound = (
        ffmpeg.input(str(premixed))
        .audio.filter(
            "loudnorm",
            I=TARGET_LUFS,
            TP=TARGET_TRUE_PEAK,
            LRA=TARGET_LRA,
            measured_I=measured.integrated,
            measured_TP=measured.true_peak,
            measured_LRA=measured.lra,
            measured_thresh=measured.threshold,
            linear="true",
        )
        .filter("aresample", AUDIO_RATE)
        .filter("aformat", sample_fmts="s16", channel_layouts="mono")
    )
    _run(
        ffmpeg.output(sound, str(output), acodec="pcm_s16le", ar=AUDIO_RATE),
        what="normalising the storyboard's loudness",
    )
    return output


# Picture --------------------------------------------------------------------------------------


def _fitted(
    source: Any, fit: FootageFit, frames: int, lead: int, fps: int, size: tuple[int, int]
) -> Any:
    """One scene's footage: fitted in time, covering the frame, exactly ``frames`` long."""
    width, height = size
    video = source
    if fit.loops > 1:
        video = video.filter("loop", loop=fit.loops - 1, size=32767, start=0)
    video = video.filter("fps", fps)
    if fit.slowdown > 1:
        video = video.filter("setpts", f"{fit.slowdown:.6f}*PTS").filter("fps", fps)
    if lead or fit.hold_frames:
        video = video.filter(
            "tpad",
            start=lead,
            start_mode="clone",
            stop=fit.hold_frames + 2,  # a frame or two to spare for rounding: trimmed below
            stop_mode="clone",
        )
    return (
        video.filter("scale", width, height, force_original_aspect_ratio="increase")
        .filter("crop", width, height)
        .filter("setsar", 1)
        .filter("format", "yuv420p")
        .trim(end_frame=frames)
        .setpts("PTS-STARTPTS")
        .filter("settb", "AVTB")
    )


def render_aspect(
    timeline: Timeline,
    footage: list[Path],
    fits: list[FootageFit],
    leads: list[int],
    transitions: list[str],
    sound: Path,
    output: Path,
    *,
    size: tuple[int, int],
    burn: Path | None = None,
    threads: int = 0,
) -> Path:
    """The picture for one aspect, muxed with ``sound``: H.264 + AAC in an MP4."""
    fps = timeline.fps
    # Each file is read once; a clip used by two scenes (a duplicated scene) is split in two.
    uses = {path: footage.count(path) for path in footage}
    reading = {"threads": threads} if threads else {}  # decoders too, when told one thread
    sources = {
        path: ffmpeg.input(str(path), **reading).video.filter_multi_output("split", count)
        for path, count in uses.items()
    }
    taken = dict.fromkeys(uses, 0)
    joined: Any = None
    for index, timing in enumerate(timeline.scenes):
        path = footage[index]
        source = sources[path][taken[path]]
        taken[path] += 1
        part = _fitted(source, fits[index], timing.frames, leads[index], fps, size)
        if joined is None:
            joined = part
        elif timing.transition_frames:
            # xfade shows the next scene whole on the transition's last frame, one frame before
            # the timeline's voice start: the voice still lands within a frame of its picture.
            joined = ffmpeg.filter(
                [joined, part],
                "xfade",
                transition=XFADE[transitions[index]],
                duration=f"{timing.transition_frames / fps:.6f}",
                offset=f"{timing.start / fps:.6f}",
            )
        else:
            joined = ffmpeg.concat(joined, part, v=1, a=0).filter("settb", "AVTB")
    if burn is not None:
        short = min(size)
        style = (
            f"FontName=DejaVu Sans,Bold=1,FontSize={max(8, round(short / 18 * 288 / size[1]))},"
            "PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000,BorderStyle=3,Outline=2,"
            f"Shadow=0,MarginV={round(size[1] * 0.06 * 288 / size[1])}"
        )
        joined = joined.filter("subtitles", str(burn), force_style=style)
    audio = ffmpeg.input(str(sound), **reading).audio
    out = ffmpeg.output(
        joined,
        audio,
        str(output),
        vcodec="libx264",
        preset=MIX_PRESET,
        crf=MIX_CRF,
        **{"x264-params": MIX_X264_PARAMS},
        pix_fmt="yuv420p",
        r=fps,
        acodec="aac",
        audio_bitrate="128k",
        movflags="+faststart",
        threads=threads,
        shortest=None,
    )
    if threads:  # the filter graph's threads too, not only the encoder's
        out = out.global_args("-filter_complex_threads", str(threads))
    output.parent.mkdir(parents=True, exist_ok=True)
    _run(out, what=f"rendering {output.name}")
    return output


def poster(video: Path, at_seconds: float, output: Path) -> Path:
    """A JPEG of the video at ``at_seconds``."""
    still = ffmpeg.input(str(video), ss=f"{at_seconds:.3f}").video
    _run(ffmpeg.output(still, str(output), vframes=1, q=3, update=1), what="writing the poster")
    return output
