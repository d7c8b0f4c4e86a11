"""Forms of a workspace: its name, and a teammate to add."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from studio.models import Membership, Workspace


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True)


class MemberForm(forms.Form):
    """Add a teammate who already has an account, by username."""

    username = forms.CharField(max_length=150, strip=True)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.EDITOR)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_username(self) -> User:
        username = self.cleaned_data["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ValidationError(
                "No one has the username %(name)s.", code="unknown_user", params={"name": username}
            )
        if Membership.objects.filter(workspace=self.workspace, user=user).exists():
            raise ValidationError(
                "%(name)s is already a member.", code="already_member", params={"name": username}
            )
        return user
