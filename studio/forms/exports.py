"""The export form on a video's page: what to make, and how to re-frame it for a platform."""

from __future__ import annotations

from django import forms

from generation import exports


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=list(exports.KINDS.items()),
        label="Export as",
        error_messages={"invalid_choice": "There is no export called %(value)s."},
    )
    reframe = forms.ChoiceField(
        choices=list(exports.REFRAMES.items()),
        initial="blur",
        required=False,
        widget=forms.RadioSelect,
        label="For another aspect",
        error_messages={"invalid_choice": "There is no re-framing called %(value)s."},
    )

    def clean_reframe(self) -> str:
        return self.cleaned_data.get("reframe") or "blur"
