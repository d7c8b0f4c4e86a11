"""The forms of a workspace's own styles and of boards."""

from __future__ import annotations

from typing import Any

from django import forms

from generation import limits
from generation.styles import MAX_STYLE_ADDITION_CHARS, MAX_STYLE_NAME_CHARS
from studio.models import Board
from studio.services.boards import MAX_BOARD_NAME_CHARS
from studio.services.styles import StyleSpec


class WorkspaceStyleForm(forms.Form):
    """A style the workspace saves: its name, what it adds, and the settings it runs at."""

    name = forms.CharField(max_length=MAX_STYLE_NAME_CHARS)
    prompt = forms.CharField(
        label="Added to the prompt",
        max_length=MAX_STYLE_ADDITION_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Appended after a comma, e.g. “pastel palette, soft window light”.",
    )
    negative = forms.CharField(
        label="Added to the negative prompt",
        max_length=MAX_STYLE_ADDITION_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    guidance = forms.FloatField(
        min_value=0,
        max_value=limits.MAX_GUIDANCE,
        required=False,
        help_text="Blank: the editor's own.",
    )
    steps = forms.IntegerField(
        min_value=1,
        max_value=limits.MAX_STEPS,
        required=False,
        help_text="Blank: the editor's own.",
    )

    def spec(self) -> StyleSpec:
        data = self.cleaned_data
        return StyleSpec(
            name=data["name"],
            prompt=data["prompt"],
            negative=data.get("negative") or "",
            guidance=data.get("guidance"),
            steps=data.get("steps"),
        )


class BoardForm(forms.Form):
    """A new board's name."""

    name = forms.CharField(max_length=MAX_BOARD_NAME_CHARS, label="New board")


class BoardAddForm(forms.Form):
    """Put a video on one of the workspace's boards, or on a new one named here."""

    board: forms.ModelChoiceField[Board] = forms.ModelChoiceField(
        queryset=Board.objects.none(),
        required=False,
        empty_label="A new board…",
        error_messages={"invalid_choice": "That board is not one of this workspace's."},
    )
    name = forms.CharField(max_length=MAX_BOARD_NAME_CHARS, required=False, label="New board")

    def __init__(self, *args: Any, boards: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        board_field = self.fields["board"]
        assert isinstance(board_field, forms.ModelChoiceField)
        board_field.queryset = boards

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        if not data.get("board") and not (data.get("name") or "").strip() and not self.errors:
            self.add_error(
                "name",
                forms.ValidationError("Choose a board, or name a new one.", code="no_board"),
            )
        return data
