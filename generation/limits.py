"""Every limit a request is held to, defined once.

The pipelines' checks, the studio's forms and services, and the editor's page (through
``json_script``) all read these; an engine's own, narrower limits (the embedded model's frame
count, a model folder's frame rule) travel in its ``EngineInfo`` and are checked before a job
is queued.
"""

from __future__ import annotations

MAX_PROMPT_CHARS = 2000  # a prompt, a negative prompt, and a template's filled prompt
MAX_DESCRIPTION_CHARS = 500  # a template's description in the library
MIN_SIDE, MAX_SIDE = 64, 1920  # pixels, either side of a text- or image-to-video request
MAX_FRAMES = 721  # the longest clip any engine makes (SkyReels-V2: 30 s at 24 fps)
MAX_FPS = 60
MAX_STEPS = 200
MAX_GUIDANCE = 30.0
MAX_SEED = 2**32 - 1

MAX_VARIANTS = 4  # A/B versions of one template fill

MAX_SCRIPT_CHARS = 1000  # about a minute of speech: longer scripts belong in several videos
MIN_SPEED, MAX_SPEED = 0.5, 2.0  # a voice's speed, 1 is its natural pace
AVATAR_MIN_SIDE, AVATAR_MAX_SIDE = 256, 1280  # pixels, even numbers
AVATAR_MIN_FPS, AVATAR_MAX_FPS = 12, 30

MAX_STORYBOARD_CHARS = 10_000  # a script or an article turned into one storyboard
MAX_SCENES = 60  # a storyboard's scenes, brand open and close included
MAX_SCENE_SECONDS = 30.0  # a scene's fixed duration; a voiced scene is split well before this
MAX_MUSIC_SECONDS = 20 * 60  # an uploaded music bed
MAX_MUSIC_BYTES = 50 * 2**20  # 20 minutes of a 320 kbit/s MP3 is 48 MB

# A user's style LoRA: a rank-64 LoRA of a 14B Wan model in bf16 is about 600 MB.
MAX_STYLE_LORA_BYTES = 1 * 2**30
# A style LoRA's strength: 0 adds nothing, 1 is the LoRA as trained, 2 doubles its effect.
STYLE_LORA_STRENGTHS = (0.0, 2.0)
MAX_SAFETENSORS_HEADER_BYTES = 100 * 2**20  # safetensors' own cap on a file's JSON header

MAX_CSV_BYTES = 2 * 2**20  # a batch's CSV, uploaded or pasted: thousands of rows
MAX_CSV_COLUMNS = 500  # a wide CRM export fits; a header of 400,000 columns does not
# seconds an ffmpeg or ffprobe run may take: reading or probing a 257-frame 1080p clip takes a
# few; one that takes this long is hung (a file that never ends, a stuck filesystem)
FFMPEG_TIMEOUT_SECONDS = 300

# A job's post-steps (generation/post.py): "Smooth motion" makes 2 or 3 frames of each one,
# "Upscale" doubles both sides. What they make is held to these, checked before a job is queued.
INTERPOLATE_FACTORS = (2, 3)
UPSCALE_FACTORS = (2,)
MAX_SMOOTH_FPS = MAX_FPS  # a smoothed clip's frame rate: no platform plays more than 60
MAX_UPSCALED_SIDE = 3840  # 4K UHD, either side of an upscaled clip

# A GIF export (generation/exports.py), made for email: palette-optimised and at most this big.
# It starts at the smaller of these and the clip's own, and lowers its frame rate, then its
# width, until it fits.
GIF_MAX_BYTES = 2 * 10**6  # 2 MB (decimal, as sizes are shown): inboxes load it at once
GIF_MAX_WIDTH = 480  # pixels: an email body is about 600 wide
GIF_MIN_WIDTH = 160  # smaller than this shows nothing; past it the export is refused
GIF_MAX_FPS = 15
GIF_MIN_FPS = 5


def for_page() -> dict[str, float | int]:
    """The limits the editor's script needs, for ``json_script``."""
    return {
        "prompt_chars": MAX_PROMPT_CHARS,
        "frames": MAX_FRAMES,
        "fps": MAX_FPS,
        "steps": MAX_STEPS,
        "guidance": MAX_GUIDANCE,
        "script_chars": MAX_SCRIPT_CHARS,
        "smooth_fps": MAX_SMOOTH_FPS,
        "upscaled_side": MAX_UPSCALED_SIDE,
    }
