"""Forms of a workspace: its name, and a teammate to add."""

from __future__ import annotations

from typing import Any

from django import forms
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

    def clean_username(self) -> str:
        # Whether the username has an account is not said (services.workspaces.membership_add
        # answers alike); members are listed on the page already, so this tells nothing new.
        username: str = self.cleaned_data["username"]
        if Membership.objects.filter(workspace=self.workspace, user__username=username).exists():
            raise ValidationError(
                "%(name)s is already a member.", code="already_member", params={"name": username}
            )
        return username
