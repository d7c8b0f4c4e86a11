"""The command line: ``python -m generation text-to-video|image-to-video|avatar|storyboard ...``.

Progress goes to stderr as a one-line bar; the last line on stdout is one JSON object describing
the video, so scripts can read it. Any mistake in the arguments, the input or the setup ends the
run with one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from PIL import Image

from generation import limits, post, render
from generation.engines import (
    EngineSettings,
    check_style_lora,
    default_engine,
    families,
    get_engine_info,
    list_engines,
    options,
    recommended_settings,
    settings_from_env,
)
from generation.engines.registry import WAN21_T2V
from generation.engines.style_loras import read_layers
from generation.styles import BUILTIN_STYLES
from generation.types import Cancelled, EngineUnavailable, VideoRequest, VideoResult

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr, not the usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m generation", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("engines", help="list the engines and whether they can run here")
    listing.add_argument("--json", action="store_true", help="one JSON object per engine")

    for mode in ("text-to-video", "image-to-video"):
        command = commands.add_parser(mode, help=f"make a {mode} clip")
        if mode == "image-to-video":
            command.add_argument("--image", type=Path, required=True, help="the image to animate")
            command.add_argument(
                "--motion",
                default="auto",
                help="camera motion: auto (from the prompt), zoom-in, "
                "zoom-out, pan-left, pan-right, pan-up, pan-down or parallax",
            )
        command.add_argument("--prompt", required=True, help="what the video shows")
        command.add_argument("--output", type=Path, required=True, help="the MP4 to write")
        command.add_argument(
            "--engine", help="engine name (see `engines`); default: the first available"
        )
        command.add_argument(
            "--model",
            help="a diffusers model folder (Wan 2.1 / 2.2, LTX-Video, CogVideoX); its family "
            "is read from its model_index.json",
        )
        command.add_argument("--seed", type=int, help="random seed; default: a random one, printed")
        command.add_argument(
            "--steps", type=int, help="denoising steps; default: the engine's recommended"
        )
        command.add_argument("--frames", type=int, help="number of frames")
        command.add_argument("--fps", type=int, help="frames per second")
        command.add_argument("--width", type=int, help="width in pixels")
        command.add_argument("--height", type=int, help="height in pixels")
        command.add_argument(
            "--guidance",
            type=float,
            help="classifier-free guidance scale; default: the engine's recommended",
        )
        command.add_argument("--negative-prompt", default="", help="what the video should avoid")
        command.add_argument(
            "--preset",
            choices=["quality", "fast"],
            default="quality",
            help="fast: the model's few-step LoRA, at its steps and guidance (where its "
            "operator set one with the fast-lora option)",
        )
        command.add_argument(
            "--voiceover", help="a line the voice says over the clip (held while it speaks)"
        )
        command.add_argument("--voice", help="the voiceover's voice (see `voices`)")
        command.add_argument(
            "--voice-speed", type=float, default=1.0, help="the voiceover's speed, 0.5 to 2"
        )
        command.add_argument(
            "--captions",
            choices=["burn", "file", "none"],
            default="file",
            help="the voiceover's captions: burned in, WebVTT and SRT beside the MP4, or none",
        )
        command.add_argument(
            "--style",
            choices=list(BUILTIN_STYLES),
            help="a style preset: its words are added to the prompt and the negative prompt, "
            "its guidance and steps replace the defaults",
        )
        command.add_argument(
            "--lora",
            metavar="FILE[:STRENGTH]",
            help="a style LoRA (a .safetensors file made for the model's family) and its "
            "strength, 0 to 2 (default 1); checked against the model's layers before the run",
        )
        command.add_argument(
            "--model-option",
            action="append",
            default=[],
            metavar="OPTION",
            help="a memory or speed option for --model, as in REELSMITH_MODELS (vae-tiling, "
            "offload=model, fast-lora=FILE, ...); repeat for several",
        )
        command.add_argument(
            "--interpolate",
            type=int,
            choices=limits.INTERPOLATE_FACTORS,
            default=1,
            help="smooth motion: 2 or 3 frames of each one (motion-compensated), same length",
        )
        command.add_argument(
            "--upscale",
            type=int,
            choices=limits.UPSCALE_FACTORS,
            default=1,
            help="upscale: each side times 2 (Lanczos resampling)",
        )

    avatar = commands.add_parser("avatar", help="make a talking head from a portrait and a script")
    avatar.add_argument("--image", type=Path, required=True, help="the portrait: one face")
    avatar.add_argument("--script", required=True, help="what the avatar says")
    avatar.add_argument("--output", type=Path, required=True, help="the MP4 to write")
    avatar.add_argument("--voice", help="a voice name (see `voices`); default: the first available")
    avatar.add_argument("--speed", type=float, default=1.0, help="speaking speed, 0.5 to 2")
    avatar.add_argument("--fps", type=int, default=25, help="frames per second")
    avatar.add_argument("--width", type=int, default=512, help="width in pixels")
    avatar.add_argument("--height", type=int, default=512, help="height in pixels")
    avatar.add_argument(
        "--captions",
        choices=["burn", "file", "none"],
        default="file",
        help="burn: drawn on the video (and files); file: .vtt and .srt beside it; none",
    )
    avatar.add_argument("--seed", type=int, help="seed of the blinks and head motion")
    board = commands.add_parser("storyboard", help="make a multi-scene video from a script")
    board.add_argument("--script", type=Path, required=True, help="a text or Markdown file")
    board.add_argument("--output", type=Path, required=True, help="the MP4 to write")
    board.add_argument("--aspect", choices=["16:9", "9:16", "1:1"], default="16:9")
    board.add_argument("--voice", help="a voice name (see `voices`); default: the first available")
    board.add_argument("--speed", type=float, default=1.0, help="speaking speed, 0.5 to 2")
    board.add_argument(
        "--music", help="calm, upbeat or corporate (made here), or an audio file; default: none"
    )
    board.add_argument(
        "--captions",
        choices=["burn", "file", "none"],
        default="file",
        help="burn: drawn on the video (and files); file: .vtt and .srt beside it; none",
    )
    board.add_argument(
        "--engine", help="a text-to-video engine for the scenes; default: text cards"
    )
    board.add_argument("--seed", type=int, help="seed of the scenes' footage")
    voices = commands.add_parser("voices", help="list the avatar voices and whether they can speak")
    voices.add_argument("--json", action="store_true", help="one JSON object per voice")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_env()
        if args.command == "engines":
            return _list_engines(settings, as_json=args.json)
        if args.command == "voices":
            return _list_voices(as_json=args.json)
        if args.command == "avatar":
            return _avatar(args)
        if args.command == "storyboard":
            return _storyboard(args, settings)
        return _generate(args, settings)
    except (ValueError, EngineUnavailable, render.RenderError, OSError) as exc:
        _fail(str(exc))
    except (Cancelled, KeyboardInterrupt):
        print("\ncancelled", file=sys.stderr)
        return EXIT_INTERRUPTED


def _generate(args: argparse.Namespace, settings: EngineSettings) -> int:
    from generation.pipelines import image_to_video, text_to_video, voiceover

    mode = args.command
    engine = args.engine
    defaults: dict[str, int | float] = {}
    if args.model:
        if engine is None:
            model = _model_folder(args.model)
            # Options (a LoRA, offloading...) are the diffusers engine's, so a folder given
            # with them runs on it whatever its family.
            engine = model.family.key if args.model_option else _model_engine_name(model)
            if engine != WAN21_T2V:  # the Wan 2.1 engine keeps the request's own defaults
                defaults = dict(families.defaults(model))  # the frame count and rate that suit it
        paths = {**settings.model_paths, engine: args.model}
        settings = dataclasses.replace(settings, model_paths=paths)
    if args.model_option:
        if not args.model:
            raise ValueError("--model-option applies to a folder given with --model.")
        chosen = {**settings.options, engine: options.parse_options(args.model_option)}
        settings = dataclasses.replace(settings, options=chosen)
    engine = engine or default_engine(mode, settings)
    # What the user leaves out is what the engine recommends (an unknown engine is refused by
    # the pipeline, naming the engines); a model folder's own frame count and size win.
    with contextlib.suppress(ValueError):
        defaults = {**recommended_settings(engine or "", settings).request_values(), **defaults}
    if args.preset != "quality":
        # The registry's Fast settings: the options', a distilled checkpoint's, a LoRA's usual.
        defaults.update(options.preset_defaults(settings.options.get(engine or "", {}), "fast"))
        with contextlib.suppress(ValueError):
            info = get_engine_info(engine or "", settings)
            if info.fast_steps is not None and info.fast_guidance is not None:
                defaults.update(steps=info.fast_steps, guidance=info.fast_guidance)
    lora, strength = _style_lora(args.lora, engine or "", settings) if args.lora else (None, 1.0)
    _use_torch_threads(settings)

    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    given = {
        "num_frames": args.frames,
        "fps": args.fps,
        "steps": args.steps,
        "width": args.width,
        "height": args.height,
        "guidance": args.guidance,
    }
    request = VideoRequest(
        prompt=args.prompt,
        mode=mode,
        negative_prompt=args.negative_prompt,
        seed=seed,
        image_path=getattr(args, "image", None),
        motion=getattr(args, "motion", "auto"),
        preset=args.preset,
        style=BUILTIN_STYLES[args.style] if args.style else None,
        style_lora=lora,
        style_lora_strength=strength,
        **{**defaults, **{name: value for name, value in given.items() if value is not None}},
    )
    steps = post.PostSteps(interpolate=args.interpolate, upscale=args.upscale)
    post.check_steps(steps, width=request.width, height=request.height, fps=request.fps)
    speech = None
    if args.voiceover is not None:
        speech = voiceover.VoiceoverRequest(
            text=args.voiceover, voice=args.voice, speed=args.voice_speed, captions=args.captions
        )
        voiceover.check_request(speech)  # refused before the clip is made
    pipeline = image_to_video if mode == "image-to-video" else text_to_video
    # The random seed is shown once work starts, so a refused run still says one line only.
    bar = ProgressBar(sys.stderr, header=f"seed: {seed} (random)" if args.seed is None else "")
    with tempfile.TemporaryDirectory(prefix="reelsmith-post-") as workdir:
        later = speech is not None or not steps.empty  # the clip is made, then worked on
        made_at = Path(workdir) / args.output.name if later else args.output
        result = pipeline.generate(
            request, output=made_at, engine=engine, settings=settings, on_progress=bar
        )
        if not steps.empty:
            result = post.apply(result, steps, workdir=Path(workdir), on_progress=bar)
            if speech is None:
                result = _moved(result, args.output)
        spoken = (
            voiceover.add(result.output, speech, output=args.output, on_progress=bar)
            if speech
            else None
        )
    bar.finish()
    summary: dict[str, object] = {
        "engine": result.engine,
        "frames": result.num_frames,
        "fps": result.fps,
        "width": result.width,
        "height": result.height,
        "seed": result.seed,
        "steps": request.steps,
        "preset": request.preset,
        "interpolate": args.interpolate,
        "upscale": args.upscale,
        "style": args.style,
        "style_added": result.details.get("style"),
        "style_lora": str(lora) if lora else None,
        "style_lora_strength": strength if lora else None,
        "seconds": round(result.seconds, 3),
        "output": str(result.output),
        "poster": str(result.poster),
    }
    if spoken is not None:
        made = render.probe(spoken.output)  # the storyboard's frame rate, the voice's length
        summary |= {
            "frames": made.frames,
            "fps": made.fps,
            "output": str(spoken.output),
            "poster": str(spoken.poster),
            "duration": spoken.duration,
            "captions": spoken.captions,
        }
    print(json.dumps(summary))
    return 0


def _style_lora(given: str, engine: str, settings: EngineSettings) -> tuple[Path, float]:
    """``FILE[:STRENGTH]`` as a path and a strength, once the file is checked, as an upload
    is in the studio, to fit the engine's model (only its header is read); ValueError why not."""
    path, strength = Path(given), 1.0
    head, sep, tail = given.rpartition(":")
    if sep and head:
        try:
            strength = float(tail)
        except ValueError:
            pass  # a colon in the file's name, not a strength
        else:
            path = Path(head)
    low, high = limits.STYLE_LORA_STRENGTHS
    if not low <= strength <= high:
        raise ValueError(f"The LoRA's strength is {strength:g}; use {low:g} to {high:g}.")
    if not path.is_file():
        raise ValueError(f"The LoRA {path} does not exist.")
    check_style_lora(engine, read_layers(path), settings)
    return path, strength


def _moved(result: VideoResult, output: Path) -> VideoResult:
    """The post-steps' result, its MP4 moved to ``output`` and its poster beside it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    poster = output.with_suffix(".jpg")
    shutil.move(result.output, output)
    shutil.move(result.poster, poster)
    return dataclasses.replace(result, output=output, poster=poster)


def _avatar(args: argparse.Namespace) -> int:
    from generation.pipelines import avatar

    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    request = avatar.AvatarRequest(
        image_path=args.image,
        script=args.script,
        voice=args.voice,
        speed=args.speed,
        fps=args.fps,
        width=args.width,
        height=args.height,
        captions=args.captions,
        seed=seed,
    )
    bar = ProgressBar(sys.stderr)
    result = avatar.generate(request, output=args.output, on_progress=bar)
    bar.finish()
    summary = {
        "engine": result.engine,
        "frames": result.num_frames,
        "fps": result.fps,
        "width": result.width,
        "height": result.height,
        "seed": result.seed,
        "seconds": round(result.seconds, 3),
        "output": str(result.output),
        "poster": str(result.poster),
        "voice": result.details["voice"],
        "audio_seconds": result.details["audio_seconds"],
        "captions": result.details["caption_files"],
    }
    print(json.dumps(summary))
    return 0


def _storyboard(args: argparse.Namespace, settings: EngineSettings) -> int:
    from generation.pipelines import storyboard

    try:
        text = args.script.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{args.script} is not a UTF-8 text file.") from None
    if args.engine:
        _use_torch_threads(settings)
    board = storyboard.from_text(
        text,
        speed=args.speed,
        engine=args.engine,
        voice=args.voice,
        music=args.music,
        captions=args.captions,
        aspects=(args.aspect,),
        seed=args.seed if args.seed is not None else secrets.randbelow(2**32),
    )
    bar = ProgressBar(sys.stderr)
    result = storyboard.generate(board, output=args.output, settings=settings, on_progress=bar)
    bar.finish()
    made = result.outputs[args.aspect]
    outputs = {"mp4": str(made.output), "poster": str(made.poster), **made.captions}
    summary = {
        "scenes": result.scenes,
        "duration": round(result.duration, 3),
        "aspect": args.aspect,
        "width": made.width,
        "height": made.height,
        "outputs": outputs,
        "seconds": round(result.seconds, 3),
    }
    print(json.dumps(summary))
    return 0


def _list_voices(*, as_json: bool) -> int:
    from generation.avatar import tts

    for voice in tts.list_voices():
        if as_json:
            print(json.dumps(dataclasses.asdict(voice)))
            continue
        state = "available" if voice.available else f"unavailable: {voice.reason}"
        print(f"{voice.name:<16} {voice.label:<40} {state}")
    return 0


def _model_folder(path: str) -> families.ModelFolder:
    """The folder's family and modes; fails the run in one line when it is not a known model."""
    try:
        return families.detect(path)
    except families.UnknownModel as exc:
        _fail(str(exc))


def _model_engine_name(model: families.ModelFolder) -> str:
    """The engine a bare ``--model PATH`` runs as: wan2.1-t2v for a Wan 2.1 text-to-video folder
    (as before), else the folder's family (wan2.2-a14b, ltx-video, cogvideox, ...)."""
    if model.family is families.WAN21 and model.modes == ("text-to-video",):
        return WAN21_T2V
    return model.family.key


def _list_engines(settings: EngineSettings, *, as_json: bool) -> int:
    for info in list_engines(settings):
        if as_json:
            print(json.dumps(dataclasses.asdict(info)))
            continue
        state = "available" if info.available else f"unavailable: {info.reason}"
        print(f"{info.name:<14} {', '.join(info.modes):<29} queue={info.queue:<9} {state}")
        print(f"{'':<14} {info.label}")
    return 0


def _use_torch_threads(settings: EngineSettings) -> None:
    """One torch thread on a CPU unless REELSMITH_TORCH_THREADS says otherwise.

    On small CPU machines torch's default (a thread per core) fights ffmpeg and other workers
    and ran many times slower than one thread.
    """
    import torch

    threads = os.environ.get("REELSMITH_TORCH_THREADS", "").strip()
    if threads:
        torch.set_num_threads(int(threads))
    elif settings.device == "cpu" or (settings.device == "auto" and not torch.cuda.is_available()):
        torch.set_num_threads(1)


def _fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_FAILED)


class ProgressBar:
    """A one-line text bar on a stream: stage, bar, step/total, and the time left in the stage."""

    WIDTH = 24  # characters of bar

    def __init__(self, stream: TextIO, header: str = "") -> None:
        self.stream = stream
        self.header = header  # a line written before the first bar
        self.stage = ""
        self.stage_started = time.monotonic()
        self.drawn = False

    def __call__(
        self, step: int, total: int, preview: Image.Image | None = None, stage: str = "denoising"
    ) -> None:
        now = time.monotonic()
        if self.header and not self.drawn:
            self.stream.write(self.header + "\n")
        if stage != self.stage:
            if self.drawn:
                self.stream.write("\n")
            self.stage, self.stage_started = stage, now
        done = step / total if total else 0.0
        filled = round(self.WIDTH * done)
        elapsed = now - self.stage_started
        eta = f"ETA {_clock(elapsed / step * (total - step))}" if step and total else "ETA --:--"
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r{stage:<10} [{bar}] {step}/{total} {eta}  ")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"
