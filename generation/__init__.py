"""Reelsmith's generation engine: prompts in, MP4s out. Knows nothing of Django.

The studio (and the command line) call the pipelines in ``generation.pipelines`` with a
:class:`~generation.types.VideoRequest` and a progress callback, and get a
:class:`~generation.types.VideoResult` back.
"""

from __future__ import annotations

from generation.types import (
    Cancelled,
    EngineUnavailable,
    ProgressCallback,
    VideoRequest,
    VideoResult,
)

__all__ = ["Cancelled", "EngineUnavailable", "ProgressCallback", "VideoRequest", "VideoResult"]
