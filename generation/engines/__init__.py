"""The engines: one module per engine family, and the registry that lists and loads them.

Callers import the registry's public names from here; see registry.py for how engines are
listed, checked and loaded, and for the settings (REELSMITH_MODELS, ...) that configure them.
"""

from __future__ import annotations

from generation.engines.base import (
    Engine,
    EngineInfo,
    EngineSettings,
    Recommended,
    generate_with_sound,
)
from generation.engines.registry import (
    ModelEntry,
    check_engine_request,
    check_style_lora,
    default_engine,
    describe,
    freed_on_out_of_memory,
    get_engine_info,
    list_engines,
    load_engine,
    parse_models,
    recommended_settings,
    settings_from_env,
    takes_style_lora,
)

__all__ = [
    "Engine",
    "EngineInfo",
    "EngineSettings",
    "ModelEntry",
    "Recommended",
    "check_engine_request",
    "check_style_lora",
    "default_engine",
    "describe",
    "freed_on_out_of_memory",
    "generate_with_sound",
    "get_engine_info",
    "list_engines",
    "load_engine",
    "parse_models",
    "recommended_settings",
    "settings_from_env",
    "takes_style_lora",
]
