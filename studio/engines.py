"""The studio's one door into generation/'s registry: the operator's engine settings, the
engines and presets this server offers, the voices, and a brand kit as the plain values the
overlays take.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings

from generation.engines import EngineInfo, EngineSettings, list_engines, takes_style_lora


def engine_settings() -> EngineSettings:
    """The operator's engine settings: model folders, device, queues and options."""
    settings_: EngineSettings = settings.ENGINE_SETTINGS
    return settings_


def engine_list() -> list[EngineInfo]:
    return list_engines(engine_settings())


def engine_presets(name: str) -> tuple[str, ...]:
    """The presets the engine called ``name`` offers here (Quality only when it is unknown)."""
    engine = next((e for e in engine_list() if e.name == name), None)
    return tuple(engine.presets) if engine is not None else ("quality",)


def style_lora_engines() -> list[EngineInfo]:
    """The available engines a style LoRA can be made for: the diffusers models."""
    return [e for e in engine_list() if e.available and takes_style_lora(e.name)]


def voice_list() -> list[Any]:
    """The voices and whether each can speak on this server: found once per process (it loads
    the speech libraries), as the engines are."""
    return list(_voices())


@functools.cache
def _voices() -> tuple[Any, ...]:
    from generation.avatar import tts

    return tuple(tts.list_voices())
