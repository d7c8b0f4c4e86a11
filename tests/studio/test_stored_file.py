"""Stored files reach members only, and videos can be sought (byte ranges)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.urls import reverse

from studio.models import Asset, BrandKit, Template, Video

pytestmark = pytest.mark.django_db


def test_it_serves_a_byte_range(member_client, video):
    """A Range request gets 206 with just those bytes."""
    response = member_client.get(reverse("file", args=[video.file.name]), HTTP_RANGE="bytes=2-5")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == b"2345"
    assert response["Content-Range"] == "bytes 2-5/10"


def test_a_range_is_streamed_in_chunks_not_read_whole(member_client, video):
    """A 3 MB range of a large video is read 64 KiB at a time, as the response is sent."""
    from django.core.files.storage import default_storage

    from studio.views import files

    with default_storage.open(video.file.name, "wb") as handle:
        handle.write(bytes(range(256)) * (16 * 1024))  # 4 MiB
    reads: list[int] = []
    real_open = default_storage.open

    class Recording:
        def __init__(self, raw: Any) -> None:
            self.raw = raw

        def read(self, n: int = -1) -> bytes:
            reads.append(n)
            return self.raw.read(n)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.raw, name)

    def recording_open(name: str, mode: str = "rb") -> Any:
        handle = real_open(name, mode)
        handle.file = Recording(handle.file)
        return handle

    with mock.patch.object(default_storage, "open", side_effect=recording_open):
        response = member_client.get(
            reverse("file", args=[video.file.name]), HTTP_RANGE="bytes=1000-3000999"
        )
        assert response.status_code == 206 and response.streaming
        assert response["Content-Length"] == "3000000"
        assert reads == []  # nothing read before the body is sent
        body = b"".join(response.streaming_content)
    assert len(body) == 3_000_000 and body[:2] == bytes([1000 % 256, 1001 % 256])
    assert reads and max(reads) <= files.CHUNK_BYTES and -1 not in reads


def test_it_serves_a_suffix_range_and_refuses_an_impossible_one(member_client, video):
    """bytes=-3 is the last three bytes; a range past the end is 416."""
    url = reverse("file", args=[video.file.name])
    assert b"".join(member_client.get(url, HTTP_RANGE="bytes=-3").streaming_content) == b"789"
    assert member_client.get(url, HTTP_RANGE="bytes=50-").status_code == 416


def test_it_serves_the_whole_file_with_its_type(member_client, video):
    """Without a range the whole file comes back, typed by its name."""
    response = member_client.get(reverse("file", args=[video.file.name]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"0123456789"
    assert response["Content-Type"] == "video/mp4"


def test_a_path_that_belongs_to_no_object_is_404(member_client, video):
    """Files are found through their objects, never by walking the media folder."""
    assert member_client.get(reverse("file", args=["../settings.py"])).status_code == 404
    name = video.file.name.replace("clip", "other")
    assert member_client.get(reverse("file", args=[name])).status_code == 404


def test_the_download_is_an_attachment(member_client, video):
    """The download link saves the MP4 under a readable name."""
    response = member_client.get(reverse("video_download", args=[video.workspace_id, video.job_id]))
    assert response.status_code == 200
    assert f'filename="reelsmith-{video.job_id}.mp4"' in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("model", "column"),
    [
        (Video, "file"),
        (Video, "poster"),
        (Video, "captions"),
        (Asset, "file"),
        (BrandKit, "logo"),
        (Template, "preview"),
        (Template, "preview_poster"),
    ],
)
def test_every_column_a_file_is_looked_up_by_has_an_index(model, column):
    """Serving a file finds its owner by the stored name: each look-up is an index search,
    not a scan of every video (selectors.file_owner)."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    assert [column] in indexed
