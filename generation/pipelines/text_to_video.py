"""Text-to-video: a prompt in, an MP4 and its poster out.

Example::

    from pathlib import Path
    from generation.pipelines import text_to_video
    from generation.types import VideoRequest

    result = text_to_video.generate(
        VideoRequest(prompt="a red ball bounces on green grass", num_frames=16, seed=7),
        output=Path("ball.mp4"),
    )
    print(result.output, result.poster, result.seconds)
"""

from __future__ import annotations

import time
from pathlib import Path

from generation import render, styles
from generation.engines import (
    EngineSettings,
    check_engine_request,
    default_engine,
    describe,
    freed_on_out_of_memory,
    generate_with_sound,
    get_engine_info,
    load_engine,
    settings_from_env,
)
from generation.pipelines.checks import check_request
from generation.prompts import analyse
from generation.types import (
    EngineUnavailable,
    Mode,
    ProgressCallback,
    VideoRequest,
    VideoResult,
    no_progress,
)

MODE: Mode = "text-to-video"


def check_inputs(request: VideoRequest) -> None:
    """Raise ValueError with a message a user can act on when the request cannot be made."""
    if request.mode != MODE:
        raise ValueError(f"This is the text-to-video pipeline; the request is for {request.mode}.")
    check_request(request)
    styles.check_styled(request)


def generate(
    request: VideoRequest,
    *,
    output: Path,
    engine: str | None = None,
    settings: EngineSettings | None = None,
    on_progress: ProgressCallback = no_progress,
) -> VideoResult:
    """Make the video ``request`` describes and write it to ``output`` (poster beside it)."""
    started = time.monotonic()

    # 1. Check inputs: refuse early, before any weights are loaded.
    check_inputs(request)

    # 2. Analyse the prompt (kept in the result for the job's record).
    #    The style is applied first, so the analysis reads the styled prompt.
    request, style_added = styles.apply(request)
    analysis = analyse(request.prompt)

    # 3. Pick and load the engine: the one asked for, else the first available for the mode.
    settings = settings or settings_from_env()
    name = engine or default_engine(MODE, settings)
    if name is None:
        raise EngineUnavailable(
            "No text-to-video model is installed on this worker: install the embedded model, "
            "or name a diffusers model folder in REELSMITH_MODELS (or REELSMITH_WAN21_T2V_MODEL)."
        )
    info = get_engine_info(name, settings)
    if MODE not in info.modes:
        raise ValueError(f"{info.label} cannot make text-to-video; choose another engine.")
    check_engine_request(name, request, settings)  # the model's own limits, before it loads
    model = load_engine(name, settings)

    # 4. Generate the frames: (T, H, W, 3) uint8, progress per denoising step.
    with freed_on_out_of_memory(name, settings, request):  # a CUDA OOM fails this job only
        frames, sound = generate_with_sound(model, request, on_progress)
    expected = (request.num_frames, request.height, request.width, 3)
    if frames.shape != expected:
        raise RuntimeError(f"The {name} engine made frames {frames.shape}, expected {expected}.")

    # 5. Render the MP4 and its poster (<stem>.jpg beside it).
    on_progress(0, 1, stage="encoding")
    render.write_mp4(frames, output, request.fps, sound=sound)  # LTX-2's sound, if any
    poster = render.write_poster(frames, output.with_suffix(".jpg"))
    on_progress(1, 1, stage="encoding")

    return VideoResult(
        output=output,
        poster=poster,
        engine=name,
        num_frames=len(frames),
        fps=request.fps,
        width=request.width,
        height=request.height,
        seed=request.seed,
        seconds=time.monotonic() - started,
        details={
            "prompt_analysis": analysis.as_dict(),
            "engine_label": info.label,
            "style": style_added,  # what the style added, in full (None without one)
            "style_in_prompt": analysis.style,  # the style preset the prompt's words name
            **describe(name, request, settings),  # the engine's own reading of the request
        },
        has_sound=sound is not None,
    )
