"""Stored files, served only to members of the workspace they belong to."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from typing import IO

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.views.decorators.http import require_GET

from studio import selectors
from studio.models import Video
from studio.views.access import AuthenticatedRequest, member_of


@require_GET
@login_required
def video_download(
    request: AuthenticatedRequest, workspace_id: int, job_id: int
) -> HttpResponseBase:
    membership = member_of(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video = getattr(job, "video", None)
    if video is None:
        raise Http404
    return video_attachment(video)


def video_attachment(video: Video) -> HttpResponseBase:
    """The video's MP4 as a download named after its job, to a reader the caller checked."""
    if not _is_local_storage():
        return HttpResponseRedirect(video.file.url)
    filename = f"reelsmith-{video.job_id}.mp4"
    return FileResponse(video.file.open("rb"), as_attachment=True, filename=filename)


_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@require_GET
@login_required
def stored_file(request: AuthenticatedRequest, name: str) -> HttpResponseBase:
    """Serve a stored file to members of the workspace it belongs to, and 404 to anyone else.

    Byte ranges are honoured so that a video can be sought. With S3-compatible storage the
    member is sent to a short-lived signed URL instead.
    """
    if not selectors.can_read_file(user=request.user, name=name):
        raise Http404
    return serve_stored(request, name)


def serve_stored(
    request: HttpRequest, name: str, *, cache_control: str = "private, max-age=3600"
) -> HttpResponseBase:
    """A stored file, whose reader was checked by the caller, with byte ranges honoured."""
    if not _is_local_storage():
        return HttpResponseRedirect(default_storage.url(name))
    size = default_storage.size(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    handle = default_storage.open(name, "rb")
    response: HttpResponseBase
    match = _RANGE.match(request.headers.get("Range", ""))
    if match and (match.group(1) or match.group(2)):
        start_s, end_s = match.groups()
        if start_s:
            start, end = int(start_s), min(int(end_s) if end_s else size - 1, size - 1)
        else:
            start, end = max(size - int(end_s), 0), size - 1
        if start > end or start >= size:
            handle.close()
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        handle.seek(start)
        length = end - start + 1
        response = StreamingHttpResponse(
            _chunks(handle, length), status=206, content_type=content_type
        )
        response["Content-Length"] = str(length)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(handle, content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache_control
    return response


CHUNK_BYTES = 64 * 1024  # a seek into a 1 GB video must not read it into memory


def _chunks(handle: IO[bytes], length: int) -> Iterator[bytes]:
    """``length`` bytes from the handle's position, a chunk at a time; closes the handle."""
    try:
        while length > 0:
            chunk = handle.read(min(CHUNK_BYTES, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _is_local_storage() -> bool:
    return hasattr(default_storage, "path") and default_storage.__class__.__name__ == (
        "FileSystemStorage"
    )
