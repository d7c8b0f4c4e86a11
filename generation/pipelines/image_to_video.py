"""Image-to-video: an uploaded image and a prompt in, an MP4 and its poster out.

Example::

    from pathlib import Path
    from generation.pipelines import image_to_video
    from generation.types import VideoRequest

    result = image_to_video.generate(
        VideoRequest(
            prompt="slow zoom in on the bottle",
            mode="image-to-video",
            image_path=Path("bottle.jpg"),
            width=1280,
            height=720,
            num_frames=48,
            fps=24,
        ),
        output=Path("bottle.mp4"),
    )
"""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image, UnidentifiedImageError

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
from generation.prompts import CAMERA_MOTIONS, analyse
from generation.types import (
    EngineUnavailable,
    Mode,
    ProgressCallback,
    VideoRequest,
    VideoResult,
    no_progress,
)

MODE: Mode = "image-to-video"


def check_inputs(request: VideoRequest) -> None:
    """Raise ValueError with a message a user can act on when the request cannot be made."""
    if request.mode != MODE:
        raise ValueError(f"This is the image-to-video pipeline; the request is for {request.mode}.")
    check_request(request)
    styles.check_styled(request)
    if request.image_path is None:
        raise ValueError("Image-to-video needs an image: upload a photo to animate.")
    path = Path(request.image_path)
    if not path.is_file():
        raise ValueError(f"The image {path.name!r} was not found.")
    try:
        with Image.open(path) as image:
            image.verify()  # reads the whole file; Pillow's decompression-bomb guard applies
    except Image.DecompressionBombError as exc:
        raise ValueError(f"The image {path.name!r} has too many pixels to open safely.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"{path.name!r} is not an image that can be opened.") from exc
    if request.motion != "auto" and request.motion not in CAMERA_MOTIONS:
        raise ValueError(
            f"Unknown camera motion {request.motion!r}; choose auto or one of: "
            f"{', '.join(CAMERA_MOTIONS)}."
        )


def generate(
    request: VideoRequest,
    *,
    output: Path,
    engine: str | None = None,
    settings: EngineSettings | None = None,
    on_progress: ProgressCallback = no_progress,
) -> VideoResult:
    """Animate the request's image as it describes and write it to ``output`` (poster beside it)."""
    started = time.monotonic()

    # 1. Check inputs: the settings, and that the image exists and opens.
    check_inputs(request)

    # 2. Analyse the prompt: its words may choose the camera move.
    #    The style is applied first, so the analysis reads the styled prompt.
    request, style_added = styles.apply(request)
    analysis = analyse(request.prompt)

    # 3. Pick and load the engine: the one asked for, else the first available for the mode.
    settings = settings or settings_from_env()
    name = engine or default_engine(MODE, settings)
    if name is None:
        raise EngineUnavailable("No image-to-video engine is available on this worker.")
    info = get_engine_info(name, settings)
    if MODE not in info.modes:
        raise ValueError(f"{info.label} cannot make image-to-video; choose another engine.")
    check_engine_request(name, request, settings)  # the model's own limits, before it loads
    model = load_engine(name, settings)

    # 4. Animate: (T, H, W, 3) uint8, progress per frame.
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
            # the engine's own reading of the request: the motion
            **describe(name, request, settings),
        },
        has_sound=sound is not None,
    )
