"""Making an export on a worker: the video (and its poster) copied out of storage, written in
the asked form by generation.exports, and stored beside the video."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from generation import exports, render
from studio.models import Export

logger = logging.getLogger(__name__)


def export_make(*, export_id: int) -> Export | None:
    """Make a queued export and store it; a refusal or failure is kept with its reason."""
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING
    )
    export = Export.objects.select_related("video").filter(pk=export_id).first()
    if not claimed or export is None:
        return export  # deleted meanwhile, or a second delivery of one taken already
    workdir = Path(tempfile.mkdtemp(prefix=f"reelsmith-export-{export.pk}-"))
    try:
        video = export.video
        source = _copy(video.file, workdir / "video.mp4")
        poster = _copy(video.poster, workdir / "poster.jpg") if video.poster else None
        made = exports.export(
            source,
            workdir / "out",
            kind=export.kind,
            reframe=export.reframe or "blur",
            poster=poster,
        )
        name = f"reelsmith-{video.job_id}-{export.kind}{made.path.suffix}"
        with made.path.open("rb") as handle:
            export.file.save(name, File(handle), save=False)
    except exports.ExportError as exc:
        return _failed(export, str(exc))
    except render.RenderError as exc:
        logger.warning("export %s: %s", export.pk, exc)
        return _failed(export, f"ffmpeg could not make it: {exc}")
    except Exception as exc:
        logger.exception("export %s failed", export.pk)
        return _failed(export, f"It could not be made ({type(exc).__name__}); try again.")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    export.width, export.height, export.size_bytes = made.width, made.height, made.bytes
    export.notes = list(made.notes)
    export.status = Export.Status.READY
    export.finished_at = timezone.now()
    export.save(
        update_fields=["file", "width", "height", "size_bytes", "notes", "status", "finished_at"]
    )
    return export


def _copy(field: FieldFile, path: Path) -> Path:
    """A stored file (storage may be remote) copied where ffmpeg can read it."""
    with field.open("rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def _failed(export: Export, error: str) -> Export:
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.FAILED, error=error, finished_at=timezone.now()
    )
    export.refresh_from_db()
    return export
