"""The engine registry: which engines exist, which can run here (and why not), and loading them.

Order matters: the first available engine for a mode is its default. The embedded model comes
first because it runs anywhere once installed; the camera-motion engine needs no model at all.
Nothing heavy is imported here, so listing engines is cheap for the web process.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Mapping
from types import ModuleType

from generation.engines import camera, wan
from generation.engines.base import Engine, EngineInfo, EngineSettings
from generation.types import EngineUnavailable, Mode, VideoRequest

__all__ = [
    "Engine",
    "EngineInfo",
    "EngineSettings",
    "default_engine",
    "describe",
    "get_engine_info",
    "list_engines",
    "load_engine",
    "settings_from_env",
]

EMBEDDED = "embedded"
_EMBEDDED_LABEL = "Embedded model (small, trained by this project, runs on a CPU)"
_EMBEDDED_MISSING = "the embedded model is not installed"


def settings_from_env(environ: Mapping[str, str] = os.environ) -> EngineSettings:
    """Engine settings from REELSMITH_WAN21_T2V_MODEL and REELSMITH_DEVICE (blank = unset)."""
    paths = {wan.NAME: environ.get("REELSMITH_WAN21_T2V_MODEL", "").strip()}
    return EngineSettings(
        model_paths={name: path for name, path in paths.items() if path},
        device=environ.get("REELSMITH_DEVICE", "").strip() or "auto",
    )


def list_engines(settings: EngineSettings) -> list[EngineInfo]:
    """Every engine in registry order, with whether it can run under these settings."""
    return [_embedded_info(), wan.info(settings), camera.info(settings)]


def get_engine_info(name: str, settings: EngineSettings) -> EngineInfo:
    """One engine's entry; ValueError naming the known engines when ``name`` is not one."""
    engines = list_engines(settings)
    for info in engines:
        if info.name == name:
            return info
    known = ", ".join(info.name for info in engines)
    raise ValueError(f"Unknown engine {name!r}; the engines are: {known}.")


def default_engine(mode: Mode, settings: EngineSettings) -> str | None:
    """The first available engine that makes ``mode`` videos, or None when none can."""
    for info in list_engines(settings):
        if info.available and mode in info.modes:
            return info.name
    return None


def describe(name: str, request: VideoRequest) -> dict[str, object]:
    """Engine notes for a result's details: how the engine read this request."""
    if name == EMBEDDED:
        module = _embedded_module()
        describe_request = getattr(module, "describe", None)
        return dict(describe_request(request)) if describe_request else {}
    if name == wan.NAME:
        return wan.describe(request)
    if name == camera.NAME:
        return camera.describe(request)
    return {}


_loaded: dict[tuple[str, str, str], Engine] = {}
_loading = threading.Lock()


def load_engine(name: str, settings: EngineSettings) -> Engine:
    """The engine, ready to generate. A worker loads each (engine, weights, device) once.

    Raises EngineUnavailable with the registry's reason when the engine cannot run here.
    """
    info = get_engine_info(name, settings)
    if not info.available:
        raise EngineUnavailable(f"{info.label} cannot run here: {info.reason}")
    key = (name, settings.model_paths.get(name, ""), settings.device)
    with _loading:  # two threads asking at once must not load the weights twice
        if key not in _loaded:
            _loaded[key] = _loader(name)(settings)
        return _loaded[key]


def forget_loaded_engines() -> None:
    """Drop every cached engine (tests, or a worker freeing memory)."""
    with _loading:
        _loaded.clear()


def _loader(name: str) -> Callable[[EngineSettings], Engine]:
    if name == EMBEDDED:
        module = _embedded_module()
        assert module is not None  # available engines have their module
        load: Callable[[EngineSettings], Engine] = module.load
        return load
    loaders: dict[str, Callable[[EngineSettings], Engine]] = {
        wan.NAME: wan.load,
        camera.NAME: camera.load,
    }
    return loaders[name]


def _embedded_module() -> ModuleType | None:
    """The embedded model's package when it is installed and complete, else None."""
    try:
        module = importlib.import_module("generation.engines.embedded")
    except ImportError:
        return None
    if not (hasattr(module, "is_available") and hasattr(module, "load")):
        return None
    return module


def _embedded_info() -> EngineInfo:
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
    )
