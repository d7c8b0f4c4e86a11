"""A worker's copies of style LoRAs: kept by content hash, at most
STYLE_LORA_CACHE_MAX_COPIES of them, the most recently used."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.files.base import ContentFile

from studio.worker.run import _style_lora_copy


def _job(name: str) -> Any:
    """A job whose LoRA's content hash is ``name`` (the copy is named after it)."""
    body = f"weights of {name}".encode()
    lora = SimpleNamespace(sha256=name, size_bytes=len(body), file=ContentFile(body))
    return SimpleNamespace(style_lora=lora)


def _copies(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.safetensors"))


def _used(folder: Path, name: str, seconds_ago: float) -> None:
    when = os.path.getmtime(folder / f"{name}.safetensors") - seconds_ago
    os.utime(folder / f"{name}.safetensors", (when, when))


def test_it_keeps_only_the_most_recently_used_copies(settings, tmp_path):
    """A fourth LoRA with room for three deletes the copy used longest ago."""
    settings.STYLE_LORA_CACHE_DIR = str(tmp_path)
    settings.STYLE_LORA_CACHE_MAX_COPIES = 3
    for age, name in ((300, "a"), (200, "b"), (100, "c")):
        _style_lora_copy(_job(name))
        _used(tmp_path, name, age)
    path = _style_lora_copy(_job("d"))
    assert path == tmp_path / "d.safetensors"
    assert path.read_bytes() == b"weights of d"
    assert _copies(tmp_path) == ["b", "c", "d"]


def test_using_a_copy_again_keeps_it(settings, tmp_path):
    """A copy used again counts as recent: the one used longest ago goes instead."""
    settings.STYLE_LORA_CACHE_DIR = str(tmp_path)
    settings.STYLE_LORA_CACHE_MAX_COPIES = 2
    for age, name in ((300, "a"), (200, "b")):
        _style_lora_copy(_job(name))
        _used(tmp_path, name, age)
    _style_lora_copy(_job("a"))  # used again: now the most recent
    _style_lora_copy(_job("c"))
    assert _copies(tmp_path) == ["a", "c"]


def test_the_copy_a_job_runs_with_is_never_deleted(settings, tmp_path):
    """With room for one copy, the job's own stays, however old its file."""
    settings.STYLE_LORA_CACHE_DIR = str(tmp_path)
    settings.STYLE_LORA_CACHE_MAX_COPIES = 1
    _style_lora_copy(_job("a"))
    _style_lora_copy(_job("b"))
    assert _copies(tmp_path) == ["b"]
