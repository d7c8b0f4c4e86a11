"""Share links: a public, revocable link to one video, and the plays counted on it."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from studio.models import Job, ShareLink, ShareView, Video
from studio.services.webhooks import webhook_event_send
from studio.worker.webhooks import job_data

TOKEN_BYTES = 24  # 192 random bits: a link cannot be guessed or counted up to


def _announce(event: str, **payload: Any) -> None:
    """``video.shared`` to the workspace's webhook endpoints, once the link's row is committed:
    the job as job events describe it, and the public page's path."""
    link: ShareLink = payload["link"]
    job = link.video.job
    data = {
        **job_data(job),
        "share": {
            "url": reverse("share_page", args=[link.token]),
            "expires_at": link.expires_at.isoformat() if link.expires_at else None,
            "allow_download": link.allow_download,
        },
    }
    webhook_event_send(workspace=job.workspace, event=event, data=data)


def share_link_create(
    *,
    video: Video,
    user: User,
    expires_at: datetime | None = None,
    allow_download: bool = False,
) -> ShareLink:
    """A new public link to a succeeded job's video, until ``expires_at`` (None: until revoked)."""
    if video.job.status != Job.Status.SUCCEEDED:
        raise ValidationError("Only a finished video can be shared.", code="not_finished")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The link would expire before it is shared.", code="expired")
    link = ShareLink.objects.create(
        video=video,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        created_by=user,
        expires_at=expires_at,
        allow_download=allow_download,
    )
    transaction.on_commit(lambda: _announce("video.shared", link=link))
    return link


def share_link_revoke(*, link: ShareLink) -> ShareLink:
    """Revoke the link: its page and files answer 404 from now on. Revoking twice is a no-op."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def share_link_revoke_all(*, video: Video) -> int:
    """Revoke every live link of the video (the API's DELETE on a job's share); how many."""
    return ShareLink.objects.filter(video=video, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def visitor_hash(*, ip: str, user_agent: str, day: date) -> str:
    """Who a visitor is on one day, as a keyed hash: the same address and browser give the
    same hash that day only, and without the secret no one can tell whose it is."""
    secret = settings.SHARE_VISITOR_SECRET or settings.SECRET_KEY
    return salted_hmac(
        "reelsmith.share-visitor",
        f"{ip}\n{user_agent}\n{day.isoformat()}",
        secret=secret,
        algorithm="sha256",
    ).hexdigest()


def share_play_record(*, link: ShareLink, ip: str, user_agent: str) -> bool:
    """Count a play of the link by this visitor; False when it was not counted.

    A page that reloads or a player that restarts sends its beacon again: one visitor's plays
    of one link count once per ``SHARE_PLAY_DEDUPE_SECONDS``.
    """
    day = timezone.localdate()
    visitor = visitor_hash(ip=ip, user_agent=user_agent, day=day)
    recent = f"reelsmith.share-play:{link.pk}:{visitor}"
    if not cache.add(recent, 1, timeout=settings.SHARE_PLAY_DEDUPE_SECONDS):
        return False
    view, _ = ShareView.objects.get_or_create(link=link, day=day, visitor_hash=visitor)
    ShareView.objects.filter(pk=view.pk).update(plays=F("plays") + 1)
    return True
