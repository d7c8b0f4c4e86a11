"""The studio's Celery app for a real worker whose camera-motion engine misbehaves on demand.

Start a worker with ``-A tests.integration.quiet_worker``. Its engine works as usual, except:
- ``SILENT_ENGINE_SECONDS``: it first says nothing for that long (a big model loading, a long
  offloaded step), then makes the clip;
- ``HANGING_ENGINE_PROMPT``: a job whose prompt contains this text never returns (a hung step).
Everything else (the worker, its lease, its heartbeat, the sweep) is the real thing.
"""

from __future__ import annotations

import os
import time
from typing import Any

from generation.pipelines import image_to_video
from studio.celery import app

__all__ = ["app"]

_load_engine = image_to_video.load_engine


class _QuietEngine:
    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def generate(self, request: Any, on_progress: Any) -> Any:
        hang_on = os.environ.get("HANGING_ENGINE_PROMPT")
        if hang_on and hang_on in request.prompt:
            while True:
                time.sleep(3600)
        time.sleep(float(os.environ.get("SILENT_ENGINE_SECONDS", "0")))
        return self.engine.generate(request, on_progress)


def _load_quiet_engine(name: str, settings: Any) -> Any:
    return _QuietEngine(_load_engine(name, settings))


image_to_video.load_engine = _load_quiet_engine  # the pipeline looks it up at each job
