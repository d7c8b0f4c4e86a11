"""The batch form: a template, a CSV (uploaded or pasted), and the image or presenter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from generation.limits import MAX_CSV_BYTES
from studio.forms.uploads import ImageUploadField
from studio.models import Avatar, Template


class BatchForm(forms.Form):
    """A template and a CSV of rows (uploaded, or pasted), checked row by row in the view."""

    template = forms.ModelChoiceField(queryset=Template.objects.none())
    csv = forms.FileField(
        required=False,
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text="The first row names the columns: first_name, company, cta, ...",
    )
    csv_text = forms.CharField(
        required=False,
        strip=False,
        label="or paste the rows",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    image = ImageUploadField(
        required=False,
        help_text="For image-to-video templates: the photo every video animates.",
    )
    avatar = forms.ModelChoiceField(
        queryset=Avatar.objects.none(),
        required=False,
        label="Presenter",
        help_text="For talking-head templates: the avatar who speaks every row's script.",
    )
    aspects = forms.MultipleChoiceField(
        choices=[(aspect, aspect) for aspect in Template.Aspect.values],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Aspects",
        help_text="For storyboard templates: the videos each row gets (none ticked: the "
        "template's own).",
    )
    filename_column = forms.CharField(
        required=False,
        max_length=200,
        label="Name the videos after the column",
        help_text="The ZIP's files take their names from this column (blank: row numbers).",
    )

    def __init__(self, *args: Any, templates: Any, avatars: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = templates
        avatar_field = self.fields["avatar"]
        assert isinstance(avatar_field, forms.ModelChoiceField)
        if avatars is not None:
            avatar_field.queryset = avatars

    def clean_csv(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("csv")
        if upload is not None:
            _check_size(upload.size or 0)
        return upload

    def clean_csv_text(self) -> str:
        # Held to the upload's limit: pasted rows are parsed the same way, in the request.
        text: str = self.cleaned_data.get("csv_text") or ""
        _check_size(len(text.encode("utf-8")))
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        if (
            not data.get("csv")
            and not (data.get("csv_text") or "").strip()
            and "csv" not in self.errors
        ):
            self.add_error("csv", ValidationError("Upload a CSV or paste its rows.", code="no_csv"))
        template = data.get("template")
        if (
            template is not None
            and template.mode == Template.Mode.IMAGE_TO_VIDEO
            and not data.get("image")
            and "image" not in self.errors
        ):
            self.add_error(
                "image",
                ValidationError(
                    "%(name)s animates a photo: upload one.",
                    code="image_required",
                    params={"name": template.name},
                ),
            )
        if (
            template is not None
            and template.mode == Template.Mode.AVATAR
            and not data.get("avatar")
            and "avatar" not in self.errors
        ):
            self.add_error(
                "avatar",
                ValidationError(
                    "%(name)s is spoken by a presenter: pick one of your avatars "
                    "(add a portrait under Avatars first).",
                    code="avatar_required",
                    params={"name": template.name},
                ),
            )
        return data

    def csv_bytes(self) -> bytes:
        upload: UploadedFile | None = self.cleaned_data.get("csv")
        if upload is not None:
            upload.seek(0)
            return upload.read()
        return str(self.cleaned_data.get("csv_text") or "").encode("utf-8")


def _check_size(size: int) -> None:
    if size > MAX_CSV_BYTES:
        raise ValidationError(
            "The CSV is %(size).1f MB; the limit is %(limit).0f MB. Split it into smaller files.",
            code="csv_too_large",
            params={"size": size / 2**20, "limit": MAX_CSV_BYTES / 2**20},
        )
