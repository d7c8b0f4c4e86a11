"""Storing a finished job's video: files first, then a short write under the job's lock."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.db import connection, connections

from generation import VideoResult
from studio.models import Job, Video
from studio.worker import lease, store

WORKER = "cpu0@a:10:boot"


def _result(tmp_path: Path) -> VideoResult:
    output, poster = tmp_path / "out.mp4", tmp_path / "out.jpg"
    output.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    poster.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    return VideoResult(
        output=output,
        poster=poster,
        engine="camera",
        num_frames=8,
        fps=8,
        width=64,
        height=64,
        seed=1,
        seconds=0.1,
    )


@pytest.mark.django_db
def test_it_stores_the_video_of_a_job_it_holds(job: Any, tmp_path: Path):
    """The worker holding the lease gets a Video with both files, and the job succeeds."""
    lease.job_start(job_id=job.pk, worker=WORKER)
    video = store.job_finish(job_id=job.pk, worker=WORKER, result=_result(tmp_path))
    assert video is not None and Video.objects.filter(job=job).count() == 1
    assert default_storage.exists(video.file.name) and default_storage.exists(video.poster.name)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED


@pytest.mark.django_db
def test_files_stored_for_a_job_lost_meanwhile_are_deleted(job: Any, tmp_path: Path):
    """Another worker takes the job over while the files upload: no Video, and no files left."""
    lease.job_start(job_id=job.pk, worker=WORKER)
    saved: list[str] = []
    real_save = default_storage.save

    def save_then_lose_the_lease(name: str, content: Any, **kwargs: Any) -> str:
        saved.append(real_save(name, content, **kwargs))
        Job.objects.filter(pk=job.pk).update(lease_owner="cpu1@b:20:boot")
        return saved[-1]

    with mock.patch.object(default_storage, "save", side_effect=save_then_lose_the_lease):
        assert store.job_finish(job_id=job.pk, worker=WORKER, result=_result(tmp_path)) is None
    assert len(saved) == 2
    assert not any(default_storage.exists(name) for name in saved)
    assert not Video.objects.filter(job=job).exists()
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.lease_owner == "cpu1@b:20:boot"


@pytest.mark.django_db(transaction=True)
def test_the_job_row_is_not_locked_while_its_files_are_stored(job: Any, tmp_path: Path):
    """While the files upload, another connection can lock the job (a cancel does not wait)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter: SQLite ignores select_for_update")
    lease.job_start(job_id=job.pk, worker=WORKER)
    locked_meanwhile: list[bool] = []
    real_save = default_storage.save

    def try_to_lock() -> None:
        from django.db import DatabaseError, transaction

        try:
            with transaction.atomic():
                Job.objects.select_for_update(nowait=True).get(pk=job.pk)
            locked_meanwhile.append(True)
        except DatabaseError:
            locked_meanwhile.append(False)
        finally:
            connections.close_all()

    def save_while_another_locks(name: str, content: Any, **kwargs: Any) -> str:
        other = threading.Thread(target=try_to_lock)
        other.start()
        other.join()
        return real_save(name, content, **kwargs)

    with mock.patch.object(default_storage, "save", side_effect=save_while_another_locks):
        assert store.job_finish(job_id=job.pk, worker=WORKER, result=_result(tmp_path))
    assert locked_meanwhile and all(locked_meanwhile)
