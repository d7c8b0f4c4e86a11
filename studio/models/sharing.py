"""Public share links, their plays, and the review comments on a video."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.jobs import Video


class ShareLink(models.Model):
    """A public link to one video, opened without signing in: /s/<token>/.

    The token is the only key (24 random bytes, 192 bits), so a link cannot be guessed from
    another; revoking or expiring it makes the page and its files 404 at once.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # None: until revoked
    revoked_at = models.DateTimeField(null=True, blank=True)
    allow_download = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Share link {self.pk} of video {self.video_id}"


class ShareView(models.Model):
    """One visitor's plays of a share link on one day. The visitor is a keyed hash of their
    address, browser and the day (services.sharing.visitor_hash): no cookie, nothing that
    follows them from one day to the next; the rows of a day count its unique viewers."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="views")
    day = models.DateField()
    visitor_hash = models.CharField(max_length=64)
    plays = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["link", "day", "visitor_hash"], name="one_share_view_per_visitor_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plays} plays of link {self.link_id} on {self.day}"


class ReviewComment(models.Model):
    """A member's note on a video at a time code; resolved once it has been dealt with."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at_seconds = models.FloatField()
    text = models.TextField()
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at_seconds", "created_at", "id"]

    def __str__(self) -> str:
        return f"Comment at {self.at_seconds:.1f} s on video {self.video_id}"

    @property
    def timecode(self) -> str:
        """The time as a player shows it: 0:03, 1:25."""
        minutes, seconds = divmod(int(self.at_seconds), 60)
        return f"{minutes}:{seconds:02d}"
