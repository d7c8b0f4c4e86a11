"""Reads of a video's exports."""

from __future__ import annotations

from django.http import Http404

from studio.models import Export, Video


def export_list(*, video: Video) -> list[Export]:
    """A video's exports, newest first."""
    return list(video.exports.all())


def export_get(*, video: Video, export_id: int) -> Export:
    export = video.exports.filter(pk=export_id).first()
    if export is None:
        raise Http404
    return export


def export_active(*, video: Video, kind: str, reframe: str) -> Export | None:
    """The export of this kind and framing made or being made, if any (a failed one is not)."""
    return (
        video.exports.filter(kind=kind, reframe=reframe)
        .exclude(status=Export.Status.FAILED)
        .first()
    )
