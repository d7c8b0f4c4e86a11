"""MagCache (``cache=mag``): calibrated on a model's first run, then used on every later one.

diffusers' MagCache skips a step's transformer blocks (reusing the last step's residual) while
the change in the residual's magnitude, accumulated over the skipped steps, stays under a
threshold. The per-step magnitude ratios it needs belong to the model (and its scheduler), so
none are shipped for the families this project runs. diffusers 0.42.1 measures them itself:
``MagCacheConfig(calibrate=True)`` skips nothing (that run's frames are the uncached ones) and
logs the ratios when the run ends. The first run of a model with cache=mag is such a run; its
ratios are kept in a small JSON file on the worker (``REELSMITH_MAG_RATIOS``, by default
``~/.cache/reelsmith/mag-ratios.json``, beside the Hugging Face cache), one entry per model
folder and pipeline, and every later run skips with them. A run of another step count uses them
too: diffusers interpolates the ratios to the run's steps.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RATIOS_ENV = "REELSMITH_MAG_RATIOS"
# What diffusers logs at the end of a calibration run, once per cache context: a pipeline that
# runs the conditional and unconditional passes apart (Wan) logs the conditional pass first.
_LOGGER = "diffusers.hooks.mag_cache"
_RESULTS = re.compile(r"MagCache Calibration Results: (\[[^\]]*\])")


def default_file() -> Path:
    """Where the calibrated ratios are kept when the operator names no file."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "reelsmith" / "mag-ratios.json"


@dataclass(frozen=True)
class MagCache:
    """One model pipeline's MagCache: its calibrated ratios' file and entry, and its threshold."""

    file: Path
    key: str  # the model folder and pipeline class the ratios were measured on
    threshold: float

    def ratios(self) -> list[float] | None:
        """The ratios calibrated for this pipeline, or None before its first run."""
        entry = _read(self.file).get(self.key)
        if not isinstance(entry, dict) or not isinstance(entry.get("ratios"), list):
            return None
        return [float(r) for r in entry["ratios"]]

    @contextmanager
    def run(self, transformer: Any, steps: int) -> Iterator[bool]:
        """MagCache on ``transformer`` for one run of ``steps`` steps: skipping with the
        calibrated ratios, or calibrating when there are none yet (then recorded). Yields
        whether this run calibrates."""
        from diffusers.hooks import MagCacheConfig

        ratios = self.ratios()
        if ratios is None:
            config = MagCacheConfig(calibrate=True, num_inference_steps=steps)
        else:
            config = MagCacheConfig(
                threshold=self.threshold, num_inference_steps=steps, mag_ratios=ratios
            )
        if transformer.is_cache_enabled:
            transformer.disable_cache()
        transformer.enable_cache(config)
        heard = _Results()
        logger = logging.getLogger(_LOGGER)
        level = logger.level
        if ratios is None:
            logger.addHandler(heard)
            logger.setLevel(logging.INFO)
        try:
            yield ratios is None
        finally:
            logger.removeHandler(heard)
            logger.setLevel(level)
            transformer.disable_cache()
        if ratios is None:
            self._record(heard.ratios, steps)

    def _record(self, found: list[list[float]], steps: int) -> None:
        if not found:
            raise RuntimeError(
                "MagCache's calibration run logged no ratios (diffusers' message may have "
                "changed); remove cache=mag for this model."
            )
        data = _read(self.file)
        data[self.key] = {"steps": steps, "ratios": found[0]}
        self.file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True))
        temporary.replace(self.file)  # two workers writing at once leave one whole file


class _Results(logging.Handler):
    """Collects the ratio lists diffusers logs at the end of a calibration run."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.ratios: list[list[float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = _RESULTS.search(record.getMessage())
        if found:
            self.ratios.append([float(r) for r in json.loads(found.group(1))])


def _read(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
