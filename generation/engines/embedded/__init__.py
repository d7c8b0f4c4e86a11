"""The embedded text-to-video model: small, trained by the project, ships with the repository.

The registry imports this module lazily and calls ``is_available()`` and ``load(settings)``;
``describe(request)`` is what a pipeline puts in ``VideoResult.details``. The training code
(``train``, ``data``, ``evaluate``) lives beside it and is imported only to train.
"""

from __future__ import annotations

from generation.engines.embedded.engine import (
    MAX_FRAMES,
    RECOMMENDED,
    RECOMMENDED_GUIDANCE,
    RECOMMENDED_STEPS,
    WEIGHTS,
    EmbeddedEngine,
    describe,
    is_available,
    load,
)

__all__ = [
    "MAX_FRAMES",
    "RECOMMENDED",
    "RECOMMENDED_GUIDANCE",
    "RECOMMENDED_STEPS",
    "WEIGHTS",
    "EmbeddedEngine",
    "describe",
    "is_available",
    "load",
]
