"""The embedded text-to-video model: small, trained by the project, ships with the repository.

The registry imports this module lazily and calls ``is_available()`` and ``load(settings)``.
``understand(prompt)`` shows what the prompt analysis made of a prompt, and
``describe(request)`` is what a pipeline puts in ``VideoResult.details``.
"""

from __future__ import annotations

from generation.engines.embedded.engine import (
    MAX_FRAMES,
    RECOMMENDED_GUIDANCE,
    RECOMMENDED_STEPS,
    WEIGHTS,
    EmbeddedEngine,
    describe,
    is_available,
    load,
)
from generation.engines.embedded.vocabulary import understand

__all__ = [
    "MAX_FRAMES",
    "RECOMMENDED_GUIDANCE",
    "RECOMMENDED_STEPS",
    "WEIGHTS",
    "EmbeddedEngine",
    "describe",
    "is_available",
    "load",
    "understand",
]
