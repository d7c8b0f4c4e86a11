"""The API tokens page's form: a name, a scope and an optional expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from studio.models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, strip=True, help_text="What the token is for: “CRM sync”."
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices, initial=ApiToken.Scope.WRITE, widget=forms.RadioSelect
    )
    expires = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Blank: it works until it is revoked.",
    )

    def clean_expires(self) -> date | None:
        expires: date | None = self.cleaned_data.get("expires")
        if expires is not None and expires <= timezone.now().date():
            raise ValidationError("Pick a day after today.", code="expired")
        return expires

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, in UTC."""
        expires: date | None = self.cleaned_data.get("expires")
        return datetime.combine(expires, time.max, tzinfo=UTC) if expires else None

    def values(self) -> dict[str, Any]:
        return {
            "name": self.cleaned_data["name"],
            "scope": self.cleaned_data["scope"],
            "expires_at": self.expires_at(),
        }
