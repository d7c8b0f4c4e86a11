"""Reads of share links, their statistics, and review comments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from studio.models import Job, ReviewComment, ShareLink, ShareView, Video

# Share links and review -----------------------------------------------------------------------


def share_link_live(*, token: str) -> ShareLink:
    """The link a public page is opened with, or 404: unknown, revoked or expired links give
    nothing, not even whether they ever existed."""
    if "\x00" in token:  # no token has one, and PostgreSQL refuses it in a query
        raise Http404
    link = (
        ShareLink.objects.filter(token=token, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("video", "video__job")
        .first()
    )
    if link is None or link.video.job.status != Job.Status.SUCCEEDED:
        raise Http404
    return link


def share_link_list(*, video: Video) -> list[ShareLink]:
    """The video's links, newest first, each with ``is_live`` and its ``plays`` set."""
    now = timezone.now()
    links: list[ShareLink] = list(
        ShareLink.objects.filter(video=video).annotate(play_count=Sum("views__plays"))
    )
    for link in links:
        link.is_live = link.revoked_at is None and (  # type: ignore[attr-defined]
            link.expires_at is None or link.expires_at > now
        )
    return links


def share_link_get(*, video: Video, link_id: int) -> ShareLink:
    link = ShareLink.objects.filter(video=video, pk=link_id).first()
    if link is None:
        raise Http404
    return link


@dataclass(frozen=True)
class ShareDay:
    day: Any  # a date
    plays: int
    viewers: int  # unique that day


@dataclass(frozen=True)
class ShareStats:
    """Plays and unique viewers of a video's share links, per day, newest day first."""

    days: list[ShareDay]

    @property
    def plays(self) -> int:
        return sum(day.plays for day in self.days)

    @property
    def viewers(self) -> int:
        """Unique viewers summed over the days (a visitor is only known within a day)."""
        return sum(day.viewers for day in self.days)


def share_stats(*, video: Video) -> ShareStats:
    rows = (
        ShareView.objects.filter(link__video=video, plays__gt=0)
        .values("day")
        .annotate(plays=Sum("plays"), viewers=Count("visitor_hash", distinct=True))
        .order_by("-day")
    )
    return ShareStats(
        days=[ShareDay(day=row["day"], plays=row["plays"], viewers=row["viewers"]) for row in rows]
    )


def share_plays_by_variant(*, variants: Sequence[Job]) -> list[dict[str, Any]]:
    """An A/B group's share plays side by side: each variant's job, plays and daily viewers."""
    totals = {
        row["link__video__job_id"]: row
        for row in ShareView.objects.filter(
            link__video__job_id__in=[job.pk for job in variants], plays__gt=0
        )
        .values("link__video__job_id")
        .annotate(plays=Sum("plays"), viewers=Count("id"))
    }
    return [
        {
            "job": job,
            "plays": (totals.get(job.pk) or {}).get("plays", 0),
            "viewers": (totals.get(job.pk) or {}).get("viewers", 0),
        }
        for job in variants
    ]


def review_comment_list(*, video: Video) -> QuerySet[ReviewComment]:
    return ReviewComment.objects.filter(video=video).select_related("author")


def review_comment_get(*, video: Video, comment_id: int) -> ReviewComment:
    comment = ReviewComment.objects.filter(video=video, pk=comment_id).first()
    if comment is None:
        raise Http404
    return comment
