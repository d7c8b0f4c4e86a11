"""Stored files reach members only, and videos can be sought (byte ranges)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studio.models import Asset, BrandKit, Template, Video

pytestmark = pytest.mark.django_db


def test_it_serves_a_byte_range(member_client, video):
    """A Range request gets 206 with just those bytes."""
    response = member_client.get(reverse("file", args=[video.file.name]), HTTP_RANGE="bytes=2-5")
    assert response.status_code == 206
    assert response.content == b"2345"
    assert response["Content-Range"] == "bytes 2-5/10"


def test_it_serves_a_suffix_range_and_refuses_an_impossible_one(member_client, video):
    """bytes=-3 is the last three bytes; a range past the end is 416."""
    url = reverse("file", args=[video.file.name])
    assert member_client.get(url, HTTP_RANGE="bytes=-3").content == b"789"
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
