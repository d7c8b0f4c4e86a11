"""The engine registry: which engines exist, which can run here (and why not), and loading them.

Order matters: the first available engine for a mode is its default. The embedded model comes
first because it runs anywhere once installed, then Wan 2.1 text-to-video, then the model folders
the operator names (in the order given), and the camera-motion engine, which needs no model, last.
The engines are one table (``_TABLE``): for each kind of engine, how it is listed, described,
checked and loaded; the operator's model folders are one row standing for all of them.
Nothing heavy is imported here, so listing engines is cheap for the web process: a model folder
is recognised from its small JSON files (see families.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import re
from collections.abc import Callable, Hashable, Iterator, Mapping
from types import ModuleType

from generation import limits
from generation.engines import camera, families, memory, options, style_loras
from generation.engines.base import (
    Engine,
    EngineInfo,
    EngineSettings,
    Recommended,
    resolve_device,
)
from generation.types import EngineUnavailable, Mode, VideoRequest

EMBEDDED = "embedded"
# Wan 2.1 text-to-video from REELSMITH_WAN21_T2V_MODEL: a model folder of the Wan 2.1 family
# under a fixed name and label, held to the looser rules it always had (families.py, strict).
WAN21_T2V = "wan2.1-t2v"
WAN21_T2V_ENV = "REELSMITH_WAN21_T2V_MODEL"
_WAN21_T2V_LABEL = "Wan 2.1 text-to-video (diffusers)"
_EMBEDDED_LABEL = "Embedded model (small, trained by this project, runs on a CPU)"
_EMBEDDED_MISSING = "the embedded model is not installed"

DEFAULT_MODEL_QUEUE = "gpu-large"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _quality_only(name: str, settings: EngineSettings) -> tuple[str, ...]:
    return ("quality",)


def _fits_what_the_checks_pass(name: str, request: VideoRequest, settings: EngineSettings) -> None:
    """Beyond their frame count (checked for every engine), built-in engines make any request
    the pipelines' own checks pass."""


@dataclasses.dataclass(frozen=True)
class _Kind:
    """How the registry lists, describes, checks and loads one kind of engine.

    Each function takes the engine's name first, so one row can serve many engines (the
    operator's model folders).
    """

    info: Callable[[str, EngineSettings], EngineInfo]  # its entry: available, or why not
    load: Callable[[str, EngineSettings], Engine]
    describe: Callable[[str, VideoRequest, EngineSettings], dict[str, object]]  # result notes
    presets: Callable[[str, EngineSettings], tuple[str, ...]] = _quality_only
    check: Callable[[str, VideoRequest, EngineSettings], None] = _fits_what_the_checks_pass


def settings_from_env(environ: Mapping[str, str] = os.environ) -> EngineSettings:
    """Engine settings from the environment (blank = unset).

    ``REELSMITH_MODELS``: the diffusers model folders this worker serves, each with the Celery
    queue whose workers run it and any memory and speed options, separated by commas or new
    lines::

        REELSMITH_MODELS="wan22-a14b=/models/Wan2.2-T2V-A14B-Diffusers:gpu-large;offload=group,
                          ltx=/models/LTX-Video:gpu-small;vae-tiling,
                          cogvideox-i2v=/models/CogVideoX-5b-I2V"

    Each entry is ``name=folder[:queue][;option[=value]...]``. The name is the engine's name in
    the editor, the CLI and job records (lower-case letters, digits, ``.``, ``_``, ``-``); the
    folder may be ``hub:owner/name``, a hub id already in the worker's Hugging Face cache; the
    queue defaults to gpu-large; the options are listed in options.py (vae-tiling,
    offload=model|group, compile, attention=BACKEND, first-block-cache=THRESHOLD). The family
    (Wan 2.1, Wan 2.2 TI2V-5B or A14B, LTX-Video, CogVideoX) and the modes are read from the
    folder's model_index.json, not from the name.

    ``REELSMITH_WAN21_T2V_MODEL``: the Wan 2.1 text-to-video folder (the same as an entry named
    wan2.1-t2v). ``REELSMITH_DEVICE``: auto, cuda, cuda:1, cpu, ...
    ``REELSMITH_MAX_LOADED_MODELS``: models a worker keeps loaded at once (default 2).
    ``REELSMITH_MAX_STYLE_LORAS``: users' style LoRAs each loaded model keeps (default 4).
    ``REELSMITH_MAG_RATIOS``: the JSON file in which cache=mag keeps each model's calibrated
    ratios (default ~/.cache/reelsmith/mag-ratios.json).
    """
    paths = {WAN21_T2V: environ.get(WAN21_T2V_ENV, "").strip()}
    queues: dict[str, str] = {}
    model_options: dict[str, dict[str, str]] = {}
    for name, entry in parse_models(environ.get("REELSMITH_MODELS", "")).items():
        paths[name], queues[name] = entry.path, entry.queue
        if entry.options:
            model_options[name] = entry.options
    max_loaded = environ.get("REELSMITH_MAX_LOADED_MODELS", "").strip()
    max_style_loras = environ.get("REELSMITH_MAX_STYLE_LORAS", "").strip()
    return EngineSettings(
        model_paths={name: path for name, path in paths.items() if path},
        device=environ.get("REELSMITH_DEVICE", "").strip() or "auto",
        queues=queues,
        max_loaded=int(max_loaded) if max_loaded else EngineSettings.max_loaded,
        options=model_options,
        max_style_loras=(
            int(max_style_loras) if max_style_loras else EngineSettings.max_style_loras
        ),
        mag_ratios_file=environ.get("REELSMITH_MAG_RATIOS", "").strip(),
    )


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One REELSMITH_MODELS entry."""

    path: str  # the diffusers folder
    queue: str  # the Celery queue whose workers run it
    options: dict[str, str] = dataclasses.field(default_factory=dict)  # see options.py


def parse_models(text: str) -> dict[str, ModelEntry]:
    """Entries ``name=folder[:queue][;option...]`` (commas or new lines between) by name.

    Raises ValueError naming the entry or option that is malformed.
    """
    models: dict[str, ModelEntry] = {}
    for entry in (part.strip() for part in re.split(r"[,\n]", text)):
        if not entry:
            continue
        head, *option_parts = entry.split(";")
        name, equals, rest = (part.strip() for part in head.partition("="))
        folder, colon, queue = (part.strip() for part in rest.rpartition(":"))
        if not colon or folder in ("", families.HUB_PREFIX.rstrip(":")):  # no queue given
            folder, queue = rest, DEFAULT_MODEL_QUEUE
        if not equals or not _NAME.fullmatch(name) or not folder or not _NAME.fullmatch(queue):
            raise ValueError(
                f"REELSMITH_MODELS entry {entry!r} is not name=folder or name=folder:queue "
                "(names and queues in lower-case letters, digits, '.', '_' and '-')."
            )
        if name in (EMBEDDED, camera.NAME) or name in models:
            raise ValueError(f"REELSMITH_MODELS names {name!r} twice or as a built-in engine.")
        models[name] = ModelEntry(folder, queue, options.parse_options(option_parts))
    return models


def list_engines(settings: EngineSettings) -> list[EngineInfo]:
    """Every engine in registry order, with whether it can run under these settings."""
    engines = [_kind(name).info(name, settings) for name in _names(settings)]
    return [
        dataclasses.replace(info, queue=settings.queues[info.name])
        if info.name in settings.queues
        else info
        for info in engines
    ]


def get_engine_info(name: str, settings: EngineSettings) -> EngineInfo:
    """One engine's entry; ValueError naming the known engines when ``name`` is not one."""
    engines = list_engines(settings)
    for info in engines:
        if info.name == name:
            return info
    known = ", ".join(info.name for info in engines)
    raise ValueError(f"Unknown engine {name!r}; the engines are: {known}.")


def recommended_settings(name: str, settings: EngineSettings) -> Recommended:
    """The settings engine ``name`` makes its best videos at (ValueError for an unknown name)."""
    return get_engine_info(name, settings).recommended


def default_engine(mode: Mode, settings: EngineSettings) -> str | None:
    """The first available engine that makes ``mode`` videos, or None when none can."""
    for info in list_engines(settings):
        if info.available and mode in info.modes:
            return info.name
    return None


def describe(
    name: str, request: VideoRequest, settings: EngineSettings | None = None
) -> dict[str, object]:
    """Engine notes for a result's details: how the engine read this request."""
    return _kind(name).describe(name, request, settings or EngineSettings())


def check_engine_request(name: str, request: VideoRequest, settings: EngineSettings) -> None:
    """Refuse, before anything loads, a request the engine's model cannot make as asked.

    Raises ValueError saying what is valid (frame counts, frame rates, modes); a model folder
    that cannot be read raises EngineUnavailable with the reason.
    """
    kind = _kind(name)
    offered = kind.presets(name, settings)
    if request.preset not in offered:
        if request.preset not in options.PRESETS:
            raise ValueError(
                f"Unknown preset {request.preset!r}: choose {' or '.join(options.PRESETS)}."
            )
        raise ValueError(
            f"The {name} engine has no {request.preset.title()} preset here; "
            f"it offers {', '.join(p.title() for p in offered)}."
        )
    info = get_engine_info(name, settings)
    if request.num_frames > info.max_frames:
        raise ValueError(
            f"The frame count is {request.num_frames}; {info.label} makes at most "
            f"{info.max_frames} frames."
        )
    kind.check(name, request, settings)
    if request.style_lora is not None:  # on a worker, the file itself, header only
        check_style_lora(name, style_loras.read_layers(request.style_lora), settings)


def takes_style_lora(name: str) -> bool:
    """Whether engine ``name`` runs a diffusers transformer a LoRA can adapt."""
    return name not in (EMBEDDED, camera.NAME)


def check_style_lora(
    name: str, layers: Mapping[str, list[int]], settings: EngineSettings, family: str = ""
) -> str:
    """Refuse a style LoRA of ``layers`` (for ``family``, when known) that engine ``name``
    cannot run: an engine without a diffusers transformer, another family, other layers.
    Returns the key of the family it fits ("wan2.1", ...).

    Reads only the model folder's JSON files and safetensors headers, so the web process can
    check an upload or a job. Raises ValueError with the reason.
    """
    if not takes_style_lora(name):
        label = get_engine_info(name, settings).label
        raise ValueError(
            f"{label} takes no style LoRA; choose a diffusers model (Wan, LTX-Video, CogVideoX)."
        )
    try:
        model = _folder(name, settings)
    except families.UnknownModel as exc:
        raise EngineUnavailable(f"The {name} engine cannot run here: {exc}") from exc
    style_loras.check_fits(layers, model, family)
    return model.family.key


def _loaded_key_bytes(key: Hashable) -> int:
    path = str(key[1]) if isinstance(key, tuple) else ""  # keys are (engine, folder, device)
    return int(memory.weights_bytes(path) * memory.HEADROOM)


_loaded: memory.EngineCache[Engine] = memory.EngineCache(
    capacity=EngineSettings.max_loaded,
    free_bytes=lambda: None,
    needed_bytes=_loaded_key_bytes,
)


def load_engine(name: str, settings: EngineSettings) -> Engine:
    """The engine, ready to generate. A worker keeps the engines it loaded, the most recently
    used ones (``settings.max_loaded`` at most, fewer when the GPU has no room for another).

    Raises EngineUnavailable with the registry's reason when the engine cannot run here.
    """
    info = get_engine_info(name, settings)
    if not info.available:
        raise EngineUnavailable(f"{info.label} cannot run here: {info.reason}")
    path = settings.model_paths.get(name, "")
    _loaded.capacity = settings.max_loaded
    _loaded.free_bytes = lambda: memory.cuda_free_bytes(settings.device)
    try:
        return _loaded.get((name, path, settings.device), lambda: _kind(name).load(name, settings))
    except Exception as exc:
        if not memory.is_out_of_memory(exc):
            raise
        # Whatever loaded before is dropped too, so the next job starts from an empty GPU.
        _loaded.clear()
        raise memory.OutOfMemory(memory.load_out_of_memory_message(info.label, path)) from exc


@contextlib.contextmanager
def freed_on_out_of_memory(
    name: str, settings: EngineSettings, request: VideoRequest
) -> Iterator[None]:
    """Run an engine; on a CUDA out-of-memory, drop its model and raise OutOfMemory saying why.

    The worker lives on: the model is freed (the next job loads it again) and the job fails
    with a reason a user can act on.
    """
    try:
        yield
    except Exception as exc:
        if not memory.is_out_of_memory(exc):
            raise
        path = settings.model_paths.get(name, "")
        _loaded.drop((name, path, settings.device))
        label = get_engine_info(name, settings).label
        raise memory.OutOfMemory(memory.out_of_memory_message(label, path, request)) from exc


def loaded_engines() -> list[tuple[str, str, str]]:
    """The (engine, folder, device) of every kept engine, least recently used first."""
    return [key for key in _loaded.kept() if isinstance(key, tuple)]


def forget_loaded_engines() -> None:
    """Drop every cached engine (tests, or a worker freeing memory)."""
    _loaded.clear()


# The embedded model --------------------------------------------------------------------------


def _embedded_module() -> ModuleType | None:
    """The embedded model's package when it is installed and complete, else None."""
    try:
        module = importlib.import_module("generation.engines.embedded")
    except ImportError:
        return None
    if not (hasattr(module, "is_available") and hasattr(module, "load")):
        return None
    return module


def _embedded_info(name: str, settings: EngineSettings) -> EngineInfo:
    module = _embedded_module()
    try:
        available, reason = module.is_available() if module else (False, _EMBEDDED_MISSING)
    except Exception as exc:  # a broken install must not take the whole registry down
        available, reason = False, f"the embedded model failed to load: {exc}"
    return EngineInfo(
        name=EMBEDDED,
        label=getattr(module, "LABEL", _EMBEDDED_LABEL),
        modes=("text-to-video",),
        queue="cpu",
        available=bool(available),
        reason="" if available else (reason or _EMBEDDED_MISSING),
        max_frames=getattr(module, "MAX_FRAMES", limits.MAX_FRAMES),
        recommended=Recommended.from_dict(getattr(module, "RECOMMENDED", None)),
    )


def _load_embedded(name: str, settings: EngineSettings) -> Engine:
    module = _embedded_module()
    assert module is not None  # available engines have their module
    load: Callable[[EngineSettings], Engine] = module.load
    return load(settings)


def _describe_embedded(
    name: str, request: VideoRequest, settings: EngineSettings
) -> dict[str, object]:
    module = _embedded_module()
    describe_request = getattr(module, "describe", None)
    return dict(describe_request(request)) if describe_request else {}


# The operator's model folders ------------------------------------------------------------------


def _folder(name: str, settings: EngineSettings) -> families.ModelFolder:
    """The model folder engine ``name`` runs, recognised from its JSON files; UnknownModel
    saying why when there is none it can run."""
    path = settings.model_paths.get(name, "")
    if name != WAN21_T2V:
        model = families.detect(path)
    else:
        # The wan2.1-t2v engine took any diffusers folder, whether or not its model_index.json
        # names the pipeline, and its requests were never held to the family's grid.
        if not path:
            raise families.UnknownModel(f"no model configured (set {WAN21_T2V_ENV})")
        model = families.detect(path, default_class="WanPipeline")
        model = dataclasses.replace(model, strict=False)
    if "distilled" in settings.options.get(name, {}):
        model = families.distilled_as_named(model)
    return model


def _model_info(name: str, settings: EngineSettings) -> EngineInfo:
    """A model folder, recognised from its JSON files."""
    try:
        model = _folder(name, settings)
    except families.UnknownModel as exc:
        return EngineInfo(
            name=name,
            label=f"{name} (diffusers model)",
            modes=(),
            queue=DEFAULT_MODEL_QUEUE,
            available=False,
            reason=str(exc),
        )
    refusal = options.cache_refusal(
        model.family.key, model.family.label, settings.options.get(name, {})
    )
    if refusal:
        return EngineInfo(
            name=name,
            label=model.label,
            modes=model.modes,
            queue=DEFAULT_MODEL_QUEUE,
            available=False,
            reason=refusal,
        )
    fast = options.preset_defaults(settings.options.get(name, {}), "fast", model.distilled)
    offered = _kind(name).presets(name, settings)
    return EngineInfo(
        name=name,
        label=model.label,
        modes=model.modes,
        queue=DEFAULT_MODEL_QUEUE,
        available=True,
        presets=offered,
        fast_steps=int(fast["steps"]) if "fast" in offered else None,
        fast_guidance=float(fast["guidance"]) if "fast" in offered else None,
        max_frames=model.max_frames,
        recommended=families.recommended(model),
        sound=model.family.sound,
    )


def _model_presets(name: str, settings: EngineSettings) -> tuple[str, ...]:
    """A model folder's presets follow its options (a few-step LoRA adds Fast) and its
    checkpoint (a step-distilled one is Fast itself)."""
    try:
        step_distilled = _step_distilled(_folder(name, settings))
    except families.UnknownModel:
        step_distilled = False
    return tuple(options.presets(settings.options.get(name, {}), step_distilled=step_distilled))


def _step_distilled(model: families.ModelFolder) -> bool:
    return model.distilled is not None and model.distilled.steps is not None


def _check_model(name: str, request: VideoRequest, settings: EngineSettings) -> None:
    """The folder's own rules: its frame grid, frame rates and modes."""
    try:
        model = _folder(name, settings)
    except families.UnknownModel as exc:
        raise EngineUnavailable(f"The {name} engine cannot run here: {exc}") from exc
    families.check_request(model, request)


def _describe_model(
    name: str, request: VideoRequest, settings: EngineSettings
) -> dict[str, object]:
    try:
        model = _folder(name, settings)
    except families.UnknownModel:
        return {}
    width, height = families.model_size(model, request.width, request.height)
    return {
        "model_family": model.family.key,
        "model_size": f"{width}x{height}",
        "model_frames": families.model_frames(model, request.num_frames),
    }


def _load_model(name: str, settings: EngineSettings) -> Engine:
    from generation.engines import diffusers_video

    model = _folder(name, settings)
    device = resolve_device(settings.device)
    engine = diffusers_video.load(
        model,
        device,
        settings.options.get(name, {}),
        settings.max_style_loras,
        mag_ratios_file=settings.mag_ratios_file,
    )
    engine.name = name
    return engine


def _wan21_t2v_info(name: str, settings: EngineSettings) -> EngineInfo:
    """Its folder's entry under its own label; text-to-video even before it is configured.

    Its requests keep ``VideoRequest``'s own defaults, as they always did, unless its family
    states recommended settings.
    """
    info = _model_info(name, settings)
    stated = getattr(families.WAN21, "recommended", None)
    return dataclasses.replace(
        info,
        label=_WAN21_T2V_LABEL,
        modes=info.modes or ("text-to-video",),
        recommended=Recommended.from_dict(stated),
    )


def _load_wan21_t2v(name: str, settings: EngineSettings) -> Engine:
    """Its folder, loaded without memory or speed options: it never took any."""
    return _load_model(name, dataclasses.replace(settings, options={}))


# The table ---------------------------------------------------------------------------------------

_MODEL_FOLDER = _Kind(
    info=_model_info,
    load=_load_model,
    describe=_describe_model,
    presets=_model_presets,
    check=_check_model,
)
# In registry order. The None row stands for every model folder the operator names, in the
# order given; the built-in engines offer the Quality preset only, whatever options name them.
_TABLE: tuple[tuple[str | None, _Kind], ...] = (
    (EMBEDDED, _Kind(info=_embedded_info, load=_load_embedded, describe=_describe_embedded)),
    (
        WAN21_T2V,
        _Kind(info=_wan21_t2v_info, load=_load_wan21_t2v, describe=_describe_model),
    ),
    (None, _MODEL_FOLDER),
    (
        camera.NAME,
        _Kind(
            info=lambda name, settings: camera.info(settings),
            load=lambda name, settings: camera.load(settings),
            describe=lambda name, request, settings: camera.describe(request),
        ),
    ),
)
BUILT_IN = tuple(name for name, _ in _TABLE if name is not None)


def _names(settings: EngineSettings) -> list[str]:
    """Every engine's name, in registry order."""
    model_names = [name for name in settings.model_paths if name not in BUILT_IN]
    return [each for name, _ in _TABLE for each in ([name] if name else model_names)]


def _kind(name: str) -> _Kind:
    """The table's row for ``name``; any other name is an operator-named model folder."""
    for row_name, kind in _TABLE:
        if row_name == name:
            return kind
    return _MODEL_FOLDER
