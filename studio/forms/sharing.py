"""Sharing and review forms: a new share link, a timecoded comment, a review state."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from studio.models import Video
from studio.services.review import MAX_COMMENT_LENGTH

EXPIRY_CHOICES = [
    ("", "Never (until revoked)"),
    ("1", "In 1 day"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
]


class ShareLinkForm(forms.Form):
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Link expires")
    allow_download = forms.BooleanField(required=False, label="Viewers may download the MP4")

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("expires")
        return timezone.now() + timedelta(days=int(days)) if days else None


class ReviewCommentForm(forms.Form):
    at_seconds = forms.FloatField(
        min_value=0,
        label="At (seconds)",
        error_messages={"required": "Say when in the video the comment is about."},
    )
    text = forms.CharField(
        max_length=MAX_COMMENT_LENGTH,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write a comment."},
    )

    def __init__(self, *args: object, video: Video, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.video = video

    def clean_at_seconds(self) -> float:
        at = float(self.cleaned_data["at_seconds"])
        if at > self.video.duration:
            raise forms.ValidationError(
                "The time must be within the video (0 to %(end).1f s).",
                code="outside_video",
                params={"end": self.video.duration},
            )
        return at


class ReviewStateForm(forms.Form):
    state = forms.ChoiceField(choices=Video.ReviewState.choices, label="Review state")
