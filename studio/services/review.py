"""Review: timecoded comments on a video, and its review state."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from studio.live import broadcast_review
from studio.models import ReviewComment, Video
from studio.services.webhooks import webhook_event_send
from studio.worker.webhooks import job_data

MAX_COMMENT_LENGTH = 2000


def _announce(event: str, **payload: Any) -> None:
    """``video.approved`` to the workspace's webhook endpoints, once the move to approved is
    committed: the job as job events describe it, and who approved it."""
    video: Video = payload["video"]
    user: User = payload["user"]
    data = {**job_data(video.job), "approved_by": user.get_username()}
    webhook_event_send(workspace=video.workspace, event=event, data=data)


def _changed(video: Video) -> None:
    """Tell the video's open job pages, once the change is committed."""
    job_id = video.job_id
    transaction.on_commit(lambda: broadcast_review(job_id))


def review_comment_create(
    *, video: Video, user: User, at_seconds: float, text: str
) -> ReviewComment:
    """A comment at ``at_seconds`` into the video (0 to its duration)."""
    text = text.strip()
    if not text:
        raise ValidationError("Write a comment.", code="empty")
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            f"Keep a comment under {MAX_COMMENT_LENGTH} characters.", code="too_long"
        )
    if not 0 <= at_seconds <= video.duration:
        raise ValidationError(
            f"The time must be within the video (0 to {video.duration:.1f} s).",
            code="outside_video",
        )
    comment = ReviewComment.objects.create(
        video=video, author=user, at_seconds=round(at_seconds, 2), text=text
    )
    _changed(video)
    return comment


def review_comment_resolve(*, comment: ReviewComment, resolved: bool = True) -> ReviewComment:
    """Mark a comment resolved (dealt with), or open it again."""
    if comment.resolved != resolved:
        comment.resolved = resolved
        comment.save(update_fields=["resolved"])
        _changed(comment.video)
    return comment


def review_state_set(*, video: Video, state: str, user: User) -> Video:
    """Move the video to a review state; approving it announces ``video.approved``."""
    if state not in Video.ReviewState.values:
        raise ValidationError("Pick a review state.", code="bad_state")
    if video.review_state == state:
        return video
    video.review_state = state
    video.save(update_fields=["review_state"])
    _changed(video)
    if state == Video.ReviewState.APPROVED:
        transaction.on_commit(lambda: _announce("video.approved", video=video, user=user))
    return video
