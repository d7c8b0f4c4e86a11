"""Review: timecoded comments on a video, resolving them, and the video's review state."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.urls import reverse

from studio import services
from studio.models import Membership, ReviewComment, Video

pytestmark = pytest.mark.django_db


def _comment(client: Any, video: Video, at: Any, text: str) -> Any:
    job = video.job
    return client.post(
        reverse("comment_create", args=[job.workspace_id, job.pk]),
        {"at_seconds": at, "text": text},
    )


def _viewer(client: Any, other_user: Any, video: Video) -> Any:
    services.workspaces.membership_add(
        workspace=video.workspace, user=other_user, role=Membership.Role.VIEWER
    )
    client.force_login(other_user)
    return client


def test_comments_list_in_time_order_with_their_timecodes(member_client, video):
    """Comments made out of order are listed by their time, each with a button to jump."""
    assert _comment(member_client, video, "0.75", "Logo too small").status_code == 302
    assert _comment(member_client, video, "0.2", "Open on the product").status_code == 302
    html = member_client.get(
        reverse("job_detail", args=[video.job.workspace_id, video.job_id])
    ).content.decode()
    assert html.index("Open on the product") < html.index("Logo too small")
    assert 'data-seek="0.2"' in html and 'data-seek="0.75"' in html
    assert [c.at_seconds for c in ReviewComment.objects.all()] == [0.2, 0.75]


def test_a_comment_outside_the_video_is_refused_next_to_the_field(member_client, video):
    """A time past the end: 400, the message by the time field, the text kept, nothing stored."""
    response = _comment(member_client, video, "5", "After the end")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The time must be within the video (0 to 1.0 s)." in html
    assert "After the end" in html  # what was typed is kept
    assert not ReviewComment.objects.exists()


@pytest.mark.parametrize(
    ("at", "text", "message"),
    [
        ("0.5", "   ", "Write a comment."),
        ("", "No time", "Say when in the video the comment is about."),
        ("-1", "Before the start", "greater than or equal to 0"),
        ("abc", "Not a number", "Enter a number."),
        ("nan", "Not a time", "Enter a number."),
        ("inf", "Forever", "Enter a number."),
        ("0.5", "x" * 2001, "at most 2000 characters"),
    ],
)
def test_bad_comments_are_refused(member_client, video, at, text, message):
    """Empty, timeless, negative, non-numeric and overlong comments are refused in words."""
    response = _comment(member_client, video, at, text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReviewComment.objects.exists()


def test_a_viewer_may_comment_but_not_set_the_review_state(client, other_user, video):
    """Viewers review too: they comment; owners and editors decide the state."""
    viewer = _viewer(client, other_user, video)
    assert _comment(viewer, video, "0.5", "Looks good to me").status_code == 302
    job = video.job
    response = viewer.post(
        reverse("review_state", args=[job.workspace_id, job.pk]), {"state": "approved"}
    )
    assert response.status_code == 403
    video.refresh_from_db()
    assert video.review_state == Video.ReviewState.DRAFT
    page = viewer.get(reverse("job_detail", args=[job.workspace_id, job.pk])).content.decode()
    assert 'id="review-state-form"' not in page and 'id="comment-form"' in page


def test_resolve_and_reopen_a_comment(member_client, video, user):
    """Resolve marks it dealt with; Reopen undoes that."""
    comment = services.review.review_comment_create(
        video=video, user=user, at_seconds=0.3, text="Brighter"
    )
    url = reverse("comment_resolve", args=[video.job.workspace_id, video.job_id, comment.pk])
    member_client.post(url, {"resolved": "1"})
    comment.refresh_from_db()
    assert comment.resolved
    member_client.post(url, {"resolved": "0"})
    comment.refresh_from_db()
    assert not comment.resolved


def test_a_viewer_resolves_only_their_own_comments(client, other_user, video, user):
    """A viewer may resolve what they wrote, not an editor's comment."""
    theirs = services.review.review_comment_create(
        video=video, user=other_user, at_seconds=0.1, text="Mine"
    )
    editors = services.review.review_comment_create(
        video=video, user=user, at_seconds=0.2, text="The editor's"
    )
    viewer = _viewer(client, other_user, video)
    args = [video.job.workspace_id, video.job_id]
    assert viewer.post(reverse("comment_resolve", args=[*args, theirs.pk])).status_code == 302
    assert viewer.post(reverse("comment_resolve", args=[*args, editors.pk])).status_code == 403
    theirs.refresh_from_db(), editors.refresh_from_db()
    assert theirs.resolved and not editors.resolved


def test_an_editor_sets_the_review_state(member_client, video):
    """The state moves and the page's badge says so."""
    job = video.job
    response = member_client.post(
        reverse("review_state", args=[job.workspace_id, job.pk]),
        {"state": "changes_requested"},
        follow=True,
    )
    video.refresh_from_db()
    assert video.review_state == Video.ReviewState.CHANGES_REQUESTED
    assert "Changes requested" in response.content.decode()
    bad = member_client.post(
        reverse("review_state", args=[job.workspace_id, job.pk]), {"state": "published"}
    )
    assert bad.status_code == 302
    video.refresh_from_db()
    assert video.review_state == Video.ReviewState.CHANGES_REQUESTED


def test_approving_announces_video_approved_once_committed(
    video, user, django_capture_on_commit_callbacks
):
    """The video.approved event leaves from one place, only for approval, after the commit."""
    with mock.patch("studio.services.review._announce") as announce:
        with django_capture_on_commit_callbacks(execute=True):
            services.review.review_state_set(video=video, state="in_review", user=user)
        announce.assert_not_called()
        with django_capture_on_commit_callbacks(execute=True):
            services.review.review_state_set(video=video, state="approved", user=user)
            announce.assert_not_called()
        with django_capture_on_commit_callbacks(execute=True):
            services.review.review_state_set(video=video, state="approved", user=user)
    announce.assert_called_once_with("video.approved", video=video, user=user)


def test_the_gallery_shows_the_review_state_and_filters_by_it(member_client, video, user):
    """Each finished tile has its review badge; the filter keeps the videos in that state."""
    ws = video.workspace_id
    gallery = reverse("gallery", args=[ws])
    assert 'data-review="draft"' in member_client.get(gallery).content.decode()
    services.review.review_state_set(video=video, state="approved", user=user)
    approved = member_client.get(gallery, {"review": "approved"}).content.decode()
    assert f'data-job="{video.job_id}"' in approved and 'data-review="approved"' in approved
    in_review = member_client.get(gallery, {"review": "in_review"}).content.decode()
    assert f'data-job="{video.job_id}"' not in in_review
    unknown = member_client.get(gallery, {"review": "nonsense"})
    assert unknown.status_code == 200 and f'data-job="{video.job_id}"' in unknown.content.decode()


def test_another_workspace_gets_404_for_every_review_address(client, other_user, video, user):
    """Comment, resolve and state addresses of another workspace's video are 404."""
    comment = services.review.review_comment_create(
        video=video, user=user, at_seconds=0.1, text="Ours"
    )
    services.workspaces.workspace_ensure_personal(user=other_user)
    client.force_login(other_user)
    args = [video.job.workspace_id, video.job_id]
    for url, data in (
        (reverse("comment_create", args=args), {"at_seconds": "0.1", "text": "Theirs"}),
        (reverse("comment_resolve", args=[*args, comment.pk]), {}),
        (reverse("review_state", args=args), {"state": "approved"}),
    ):
        assert client.post(url, data).status_code == 404, url
    comment.refresh_from_db(), video.refresh_from_db()
    assert ReviewComment.objects.count() == 1 and not comment.resolved
    assert video.review_state == Video.ReviewState.DRAFT
