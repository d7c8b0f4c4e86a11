"""What leaves the studio as a file: a batch's results CSV and the ZIP of its videos."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from typing import IO

from studio import batches
from studio.models import Batch, Job
from studio.selectors import batch_rows, storyboard_render_progress


def batch_results_csv(*, batch: Batch, link_for: Callable[[Job], str]) -> str:
    """The results as CSV (row, status, link, error), safe to open in a spreadsheet."""
    lines: list[list[object]] = [["row", "status", "link", "error"]]
    for row in batch_rows(batch=batch):
        job = row.job
        status = job.status if job else "not launched"
        if row.render is not None and (job is None or job.status == Job.Status.SUCCEEDED):
            # A storyboard row: its render says more (making scenes, failed, cancelled).
            status = storyboard_render_progress(render=row.render)["status"]
        link = link_for(job) if job else ""
        lines.append([row.number, status, link, job.failure_reason if job else ""])
    return batches.write_csv(lines)


def batch_zip(*, batch: Batch, filename_column: str, results_csv: str) -> IO[bytes]:
    """A ZIP of the batch's finished videos, named from a column's values, with the results.

    Written on a worker (studio.worker.archive) to a temporary file, kept in memory while
    small, that the caller stores and closes; videos are stored, not deflated: an MP4 is
    already compressed.
    """
    archive: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=32 * 2**20)  # noqa: SIM115
    used: set[str] = set()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zipped:
        for row in batch_rows(batch=batch):
            video = getattr(row.job, "video", None) if row.job else None
            if video is None or row.job is None or row.job.status != Job.Status.SUCCEEDED:
                continue
            fallback = f"row-{row.number}"
            stem = batches.safe_filename(row.cells.get(filename_column, ""), fallback=fallback)
            name, n = f"{stem}.mp4", 2
            while name in used:
                name, n = f"{stem}-{n}.mp4", n + 1
            used.add(name)
            with video.file.open("rb") as mp4, zipped.open(name, "w") as entry:
                shutil.copyfileobj(mp4, entry)
        zipped.writestr("results.csv", results_csv, compress_type=zipfile.ZIP_DEFLATED)
    archive.seek(0)
    return archive
