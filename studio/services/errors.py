"""The one error services raise: Django's ValidationError, with a code.

generation/ refuses bad input with ValueError (and EngineUnavailable when an engine cannot run
here); a service turns those into a ValidationError, so a view, a command or the API catches
one thing and shows its messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError

from generation import EngineUnavailable


@contextmanager
def refused_as(code: str) -> Iterator[None]:
    """Re-raise a generation/ refusal inside the block as a ValidationError with ``code``."""
    try:
        yield
    except EngineUnavailable as exc:  # a RuntimeError: the engine, voice or model is missing
        raise ValidationError(str(exc), code="engine_unavailable") from None
    except (ValueError, RuntimeError) as exc:
        raise ValidationError(str(exc), code=code) from None
