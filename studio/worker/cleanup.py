"""Leftovers: stored media that no row names, and temporary folders of killed workers.

Rows take their files with them when deleted (django-cleanup), but a worker killed between
storing a video and recording it, or a file stored for a job whose lease it lost, leaves a
file behind; a killed worker also leaves its temporary folder. A periodic task removes both.
Files are stored before the row that names them is committed, so a file younger than the
grace period may simply not be recorded yet: it is left for a later sweep.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import models

logger = logging.getLogger(__name__)

MEDIA_PREFIXES = ("workspaces", "builtin")  # every upload_to of studio's models is under these
TEMP_PREFIX = "reelsmith-"  # every temporary folder the studio and its engines make


def media_sweep(*, storage: Storage = default_storage, now: float | None = None) -> list[str]:
    """Delete stored files that no row names and that are older than the grace period."""
    now = time.time() if now is None else now
    named = _named_files()
    removed = []
    for name in _stored_files(storage):
        if name in named:
            continue
        age = now - storage.get_modified_time(name).timestamp()
        if age < settings.MEDIA_SWEEP_GRACE_SECONDS:
            continue
        storage.delete(name)
        removed.append(name)
    if removed:
        logger.info("removed %d stored files that no row names", len(removed))
    return removed


def _named_files() -> set[str]:
    names: set[str] = set()
    for model in apps.get_app_config("studio").get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(
                    model._default_manager.exclude(**{field.name: ""})
                    .values_list(field.name, flat=True)
                    .iterator()
                )
    return names


def _stored_files(storage: Storage) -> Iterator[str]:
    pending = [prefix for prefix in MEDIA_PREFIXES if storage.exists(prefix)]
    while pending:
        folder = pending.pop()
        folders, files = storage.listdir(folder)
        pending.extend(f"{folder}/{name}" for name in folders)
        yield from (f"{folder}/{name}" for name in files)


def temp_folders_sweep(*, root: Path | None = None, now: float | None = None) -> list[Path]:
    """Delete this machine's temporary folders that nothing has written to for longer than
    any job may run (a live job's folder is younger: its worker writes there as it goes)."""
    root = Path(tempfile.gettempdir()) if root is None else root
    now = time.time() if now is None else now
    removed = []
    for folder in root.glob(f"{TEMP_PREFIX}*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        if now - _last_written(folder) < settings.TEMP_FOLDER_MAX_AGE_SECONDS:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    if removed:
        logger.info("removed %d stale temporary folders under %s", len(removed), root)
    return removed


def _last_written(folder: Path) -> float:
    latest = folder.stat().st_mtime
    for path in folder.rglob("*"):
        try:
            latest = max(latest, path.lstat().st_mtime)
        except OSError:
            continue  # removed meanwhile
    return latest
