"""Exports: a finished video in another format or a platform's frame, made on a worker."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from generation import exports
from studio.models import Export, Video
from studio.queueing import export_send_on_commit
from studio.selectors import export_active


def export_request(*, video: Video, user: User, kind: str, reframe: str = "blur") -> Export:
    """Have a worker make the video as ``kind`` (re-framed by ``reframe`` for a platform); one
    already made, or being made, the same way is used as it is."""
    if kind not in exports.KINDS:
        raise ValidationError(
            f"Unknown export {kind!r}; choose one of: {', '.join(exports.KINDS.values())}.",
            code="unknown_export",
        )
    platform = exports.PLATFORMS.get(kind)
    if platform is None:
        reframe = ""  # a format keeps the video's own frame
    elif reframe not in exports.REFRAMES:
        raise ValidationError(
            f"Unknown re-framing {reframe!r}; choose "
            f"{' or '.join(exports.REFRAMES.values()).lower()}.",
            code="unknown_reframe",
        )
    else:
        try:  # refused here, with the limit named, rather than failed on a worker
            exports.check_length(platform, video.duration)
        except exports.ExportError as exc:
            raise ValidationError(str(exc), code="platform_limits") from None
    existing = export_active(video=video, kind=kind, reframe=reframe)
    if existing is not None:
        return existing
    with transaction.atomic():
        export = Export.objects.create(video=video, kind=kind, reframe=reframe, requested_by=user)
        export_send_on_commit(export.pk)
    return export
