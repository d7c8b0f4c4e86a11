"""The periodic sweep of leftovers: stored files no row names, temporary folders of killed
workers. What a row names, or what is too young to judge, stays."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from studio.worker import cleanup

pytestmark = pytest.mark.django_db

HOUR = 3600.0


@pytest.fixture(autouse=True)
def _own_media_root(settings: Any, tmp_path: Path) -> None:
    """The sweep looks at the whole storage: give it one with only this test's files."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_it_deletes_an_old_file_no_row_names_and_keeps_the_named_ones(video: Any):
    """An orphan older than the grace period goes; the video, its poster and its upload stay."""
    orphan = default_storage.save(
        f"workspaces/{video.workspace_id}/videos/999/reelsmith-999.mp4", ContentFile(b"lost")
    )
    assert default_storage.path(orphan).startswith(str(default_storage.location))
    removed = cleanup.media_sweep(now=time.time() + 2 * HOUR)
    assert orphan in removed and not default_storage.exists(orphan)
    for name in (video.file.name, video.poster.name, video.job.image.file.name):
        assert default_storage.exists(name), name
        assert name not in removed


def test_it_keeps_an_orphan_younger_than_the_grace_period(video: Any):
    """A file stored a moment ago may be one whose row is not committed yet."""
    young = default_storage.save(
        f"workspaces/{video.workspace_id}/videos/998/reelsmith-998.mp4", ContentFile(b"new")
    )
    assert young not in cleanup.media_sweep()
    assert default_storage.exists(young)
    default_storage.delete(young)


def _folder(root: Path, name: str, age: float) -> Path:
    folder = root / name
    (folder / "frames").mkdir(parents=True)
    (folder / "frames" / "0001.png").write_bytes(b"png")
    then = time.time() - age
    for path in (folder / "frames" / "0001.png", folder / "frames", folder):
        os.utime(path, (then, then))
    return folder


def test_it_removes_stale_temporary_folders_only(tmp_path: Path):
    """A killed worker's day-old folder goes; a live job's fresh one and others' folders stay."""
    tmp_path = tmp_path / "tmp"
    stale = _folder(tmp_path, "reelsmith-job-7-abc", age=30 * HOUR)
    live = _folder(tmp_path, "reelsmith-job-8-def", age=30 * HOUR)
    (live / "frames" / "0002.png").write_bytes(b"written just now")
    foreign = _folder(tmp_path, "someone-else", age=30 * HOUR)
    assert cleanup.temp_folders_sweep(root=tmp_path) == [stale]
    assert not stale.exists() and live.exists() and foreign.exists()
