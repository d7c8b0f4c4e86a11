"""Bad input across every form and endpoint: each case is answered with a clear message next
to the field the user fixes (or a plain 404 for what is not theirs), never a 5xx, and
nothing is created.

Cases already covered elsewhere (test_views.py: the editor's prompt, frames, fps, bombs,
oversize; test_batches_csv.py: the CSV parser; test_isolation.py: other workspaces' pages)
are not repeated here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generation import limits
from studio import services
from studio.models import (
    Asset,
    Avatar,
    Batch,
    BatchRow,
    BrandKit,
    Job,
    Membership,
    Project,
    Template,
    Video,
    Workspace,
)
from tests.conftest import make_png

pytestmark = pytest.mark.django_db

CREATED = (Asset, Avatar, Batch, BatchRow, Job, Membership, Project, Template, Video, Workspace)


def _file(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _encoded(fmt: str, size: tuple[int, int] = (128, 128), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 128).save(buffer, format=fmt)
    return buffer.getvalue()


@dataclass
class Ctx:
    """What a case refers to: this member's workspace and things, and another workspace's."""

    workspace: Workspace
    card: Template  # an image-to-video template with {first_name} and {company}
    plain: Template  # a text-to-video template without placeholders
    theirs: Workspace
    their_template: Template
    their_avatar: Avatar
    their_project: Project
    their_asset: Asset


@dataclass(frozen=True)
class Case:
    url: Callable[[Ctx], str]
    data: Callable[[Ctx], dict[str, Any]]
    status: int
    field: str | None  # the field the message stands next to; None: a page-level answer
    message: str


def _job(**overrides: Any) -> Callable[[Ctx], dict[str, Any]]:
    def data(ctx: Ctx) -> dict[str, Any]:
        form = {
            "mode": "image-to-video",
            "prompt": "zoom in on the sneaker",
            "negative_prompt": "",
            "engine": "camera-motion",
            "motion": "auto",
            "aspect": "1:1",
            "size": "small",
            "num_frames": "8",
            "fps": "8",
            "steps": "1",
            "guidance": "0",
            "seed": "",
            "image": _file("shoe.png", make_png()),
        }
        form.update({k: v(ctx) if callable(v) else v for k, v in overrides.items()})
        return {k: v for k, v in form.items() if v is not None}

    return data


def _template_edit(**overrides: Any) -> Callable[[Ctx], dict[str, Any]]:
    def data(ctx: Ctx) -> dict[str, Any]:
        form = {"name": "Plain", "description": "", "prompt": "a plain card", "negative_prompt": ""}
        form.update(overrides)
        return form

    return data


def _batch(**overrides: Any) -> Callable[[Ctx], dict[str, Any]]:
    def data(ctx: Ctx) -> dict[str, Any]:
        form = {
            "template": ctx.card.pk,
            "csv_text": "first_name,company\nAna,Acme\n",
            "image": _file("card.png", make_png()),
        }
        form.update({k: v(ctx) if callable(v) else v for k, v in overrides.items()})
        return {k: v for k, v in form.items() if v is not None}

    return data


def _brand(**overrides: Any) -> Callable[[Ctx], dict[str, Any]]:
    def data(ctx: Ctx) -> dict[str, Any]:
        form = {
            "primary_color": "#7c5cff",
            "text_color": "#ffffff",
            "accent_color": "#ffcc00",
            "font": "DejaVu Sans",
            "lower_third_style": "bar",
            "end_card_style": "solid",
        }
        form.update(overrides)
        return form

    return data


def _in(name: str, *args: Callable[[Ctx], Any]) -> Callable[[Ctx], str]:
    return lambda ctx: reverse(name, args=[ctx.workspace.pk, *(a(ctx) for a in args)])


JOB = _in("job_new")
PLAIN_EDIT = _in("template_edit", lambda c: c.plain.pk)
CARD_USE = _in("template_use", lambda c: c.card.pk)
BATCH = _in("batch_new")
BRAND = _in("brand_kit")
MEMBERS = _in("members")
AVATARS = _in("avatar_library")
TOO_LONG_PROMPT = "x" * (limits.MAX_PROMPT_CHARS + 1)
WIDE_HEADER = ",".join(f"c{i}" for i in range(limits.MAX_CSV_COLUMNS + 1))

CASES: dict[str, Case] = {
    # The prompt editor.
    "negative prompt over the limit": Case(
        JOB, _job(negative_prompt=TOO_LONG_PROMPT), 400, "negative_prompt", "limit is 2,000"
    ),
    "prompt of only spaces": Case(JOB, _job(prompt="   \n\t "), 400, "prompt", "required"),
    "prompt with a NUL character": Case(
        JOB, _job(prompt="a\x00b"), 400, "prompt", "Null characters are not allowed"
    ),
    "a GIF as the image": Case(
        JOB, _job(image=lambda c: _file("a.gif", _encoded("GIF"))), 400, "image", "not an image"
    ),
    "a TIFF named .png": Case(
        JOB, _job(image=lambda c: _file("a.png", _encoded("TIFF"))), 400, "image", "not an image"
    ),
    "an SVG with a script": Case(
        JOB,
        _job(image=lambda c: _file("a.svg", b"<svg><script>alert(1)</script></svg>", "image/svg")),
        400,
        "image",
        "not an image",
    ),
    "a truncated PNG": Case(
        JOB,
        _job(image=lambda c: _file("a.png", make_png()[:300])),
        400,
        "image",
        "not an image",
    ),
    "an image too small": Case(
        JOB,
        _job(image=lambda c: _file("a.png", _encoded("PNG", (10, 10)))),
        400,
        "image",
        "at least 64 pixels",
    ),
    "an empty file as the image": Case(
        JOB, _job(image=lambda c: _file("a.png", b"")), 400, "image", "empty"
    ),
    "a negative seed": Case(JOB, _job(seed="-1"), 400, "seed", "greater than or equal to 0"),
    "a seed past 32 bits": Case(
        JOB, _job(seed=str(2**32)), 400, "seed", "less than or equal to 4294967295"
    ),
    "guidance not a number": Case(JOB, _job(guidance="nan"), 400, "guidance", "Enter a number"),
    "steps in words": Case(JOB, _job(steps="twenty"), 400, "steps", "Enter a whole number"),
    "frames in exponent form": Case(
        JOB, _job(num_frames="1e9"), 400, "num_frames", "Enter a whole number"
    ),
    "an unknown aspect": Case(JOB, _job(aspect="7:3"), 400, "aspect", "Select a valid choice"),
    "an engine named like a path": Case(
        JOB, _job(engine="../../etc/passwd"), 400, "engine", "Select a valid choice"
    ),
    "the avatar mode in the prompt editor": Case(
        JOB, _job(mode="avatar"), 400, "mode", "Select a valid choice"
    ),
    "another workspace's project": Case(
        JOB, _job(project=lambda c: c.their_project.pk), 400, "project", "Select a valid choice"
    ),
    "a new project name over the limit": Case(
        JOB, _job(new_project="p" * 101), 400, "new_project", "at most 100 characters"
    ),
    # Editing a template.
    "template prompt over the limit": Case(
        PLAIN_EDIT, _template_edit(prompt=TOO_LONG_PROMPT), 400, "prompt", "at most 2000"
    ),
    "template negative prompt over the limit": Case(
        PLAIN_EDIT,
        _template_edit(negative_prompt=TOO_LONG_PROMPT),
        400,
        "negative_prompt",
        "at most 2000",
    ),
    "template script over the limit": Case(
        PLAIN_EDIT,
        _template_edit(script="x" * (limits.MAX_SCRIPT_CHARS + 1)),
        400,
        "script",
        "at most 1000",
    ),
    "template description over the limit": Case(
        PLAIN_EDIT,
        _template_edit(description="x" * (limits.MAX_DESCRIPTION_CHARS + 1)),
        400,
        "description",
        f"at most {limits.MAX_DESCRIPTION_CHARS}",
    ),
    "template title over the limit": Case(
        PLAIN_EDIT, _template_edit(title_text="t" * 201), 400, "title_text", "at most 200"
    ),
    "a template name of only spaces": Case(
        PLAIN_EDIT, _template_edit(name="   "), 400, "name", "required"
    ),
    # Filling a template.
    "a filled value over its field's limit": Case(
        CARD_USE,
        lambda c: {"first_name": "x" * 21, "company": "Acme", "image": _file("a.png", make_png())},
        400,
        "first_name",
        "at most 20 characters",
    ),
    "a filled template without its image": Case(
        CARD_USE, lambda c: {"first_name": "Ana", "company": "Acme"}, 400, "image", "required"
    ),
    # Batches.
    "a CSV value longer than the reader allows": Case(
        BATCH,
        _batch(csv_text="first_name,company\nAna," + "x" * 200_000 + "\n"),
        400,
        None,
        "Row 2: a value is longer than 131,072 characters",
    ),
    "a CSV header over the column limit": Case(
        BATCH,
        _batch(csv_text=WIDE_HEADER + "\n" + WIDE_HEADER + "\n"),
        400,
        None,
        f"Row 1: the file has {limits.MAX_CSV_COLUMNS + 1:,} columns",
    ),
    "a CSV saved as UTF-16": Case(
        BATCH,
        _batch(csv=lambda c: _file("a.csv", "first_name,company\nAna,Acme\n".encode("utf-16"))),
        400,
        None,
        "is not UTF-8 text",
    ),
    "a picture uploaded as the CSV": Case(
        BATCH, _batch(csv=lambda c: _file("a.csv", make_png()), csv_text=""), 400, None, "UTF-8"
    ),
    "pasted rows with a NUL character": Case(
        BATCH,
        _batch(csv_text="first_name,company\nA\x00na,Acme\n"),
        400,
        "csv_text",
        "Null characters are not allowed",
    ),
    "no CSV at all": Case(BATCH, _batch(csv_text=""), 400, "csv", "Upload a CSV or paste"),
    "another workspace's template": Case(
        BATCH,
        _batch(template=lambda c: c.their_template.pk),
        400,
        "template",
        "Select a valid choice",
    ),
    "another workspace's presenter": Case(
        BATCH,
        _batch(avatar=lambda c: c.their_avatar.pk),
        400,
        "avatar",
        "Select a valid choice",
    ),
    "a file-name column over the limit": Case(
        BATCH, _batch(filename_column="c" * 201), 400, "filename_column", "at most 200"
    ),
    # Members and workspaces.
    "a username over the limit": Case(
        MEMBERS, lambda c: {"username": "u" * 151, "role": "editor"}, 400, "username", "at most"
    ),
    "a role that does not exist": Case(
        MEMBERS, lambda c: {"username": "otto", "role": "superuser"}, 400, "role", "valid choice"
    ),
    "someone already a member": Case(
        MEMBERS, lambda c: {"username": "maya", "role": "viewer"}, 400, "username", "already"
    ),
    "a workspace name over the limit": Case(
        lambda c: reverse("workspace_new"), lambda c: {"name": "w" * 101}, 200, "name", "at most"
    ),
    # The brand kit.
    "a colour with CSS in it": Case(BRAND, _brand(primary_color="red;}"), 400, "primary_color", ""),
    "a font named like a path": Case(
        BRAND, _brand(font="../../etc/passwd"), 400, "font", "Select a valid choice"
    ),
    "a logo that is not an image": Case(
        BRAND,
        _brand(logo=_file("logo.png", b"%PDF-1.4 not a logo")),
        400,
        "logo",
        "not an image",
    ),
    "an unknown end-card style": Case(
        BRAND, _brand(end_card_style="blink"), 400, "end_card_style", "Select a valid choice"
    ),
    # Avatars.
    "an avatar without a name": Case(
        AVATARS,
        lambda c: {"name": "", "image": _file("me.png", make_png())},
        400,
        "name",
        "required",
    ),
    "a BMP as a portrait": Case(
        AVATARS,
        lambda c: {"name": "Me", "image": _file("me.bmp", _encoded("BMP"))},
        400,
        "image",
        "not an image",
    ),
}

# Stored files: names that climb out of the media folder or belong to someone else are 404.
FILE_NAMES: dict[str, Callable[[Ctx], str]] = {
    "a parent-folder climb": lambda c: "../../../../etc/passwd",
    "an encoded climb": lambda c: "workspaces/%2e%2e/%2e%2e/settings.py",
    "an absolute path": lambda c: "/etc/passwd",
    "another workspace's asset": lambda c: c.their_asset.file.name,
    "a NUL in the name": lambda c: "workspaces/1/assets/a\x00.png",
}


@pytest.fixture
def ctx(workspace: Workspace, user: Any, other_user: Any) -> Ctx:
    fields = [
        {
            "name": "first_name",
            "label": "First name",
            "type": "text",
            "required": True,
            "max_length": 20,
        },
        {"name": "company", "label": "Company", "type": "text", "required": True, "max_length": 40},
    ]
    recipe = dict(
        engine="camera-motion",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        seed=5,
    )
    card = Template.objects.create(
        workspace=workspace,
        name="Card",
        mode="image-to-video",
        prompt="a card for {first_name} at {company}",
        fields=fields,
        overlays={"lower_third": {"name": "{first_name}", "company": "{company}"}},
        **recipe,
    )
    plain = Template.objects.create(
        workspace=workspace,
        name="Plain",
        mode="text-to-video",
        prompt="a plain card",
        fields=[],
        **{**recipe, "engine": "embedded"},
    )
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    upload = _file("their.png", make_png())
    from studio.forms.uploads import check_image

    their_asset = services.uploads.asset_create(
        workspace=theirs, user=other_user, upload=upload, image=check_image(upload)
    )
    return Ctx(
        workspace=workspace,
        card=card,
        plain=plain,
        theirs=theirs,
        their_template=Template.objects.create(
            workspace=theirs,
            name="Theirs",
            mode="image-to-video",
            prompt="theirs",
            fields=fields,
            **recipe,
        ),
        their_avatar=Avatar.objects.create(
            workspace=theirs, name="Otto", image=their_asset, face_box=[10, 10, 50, 50]
        ),
        their_project=Project.objects.create(workspace=theirs, name="Secret"),
        their_asset=their_asset,
    )


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in CREATED}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_is_answered_next_to_its_field_and_creates_nothing(
    member_client: Any, ctx: Ctx, no_queue: Any, case: Case
) -> None:
    """The status is the one the form gives (never a 5xx), the message stands beside the
    field to fix, and no row is created."""
    kit_before = list(BrandKit.objects.values())
    before = _counts()
    response = member_client.post(case.url(ctx), case.data(ctx))
    assert response.status_code == case.status, response.content.decode()[:2000]
    if case.status == 302:
        return
    html = response.content.decode()
    if case.field is None:
        assert 'id="csv-errors"' in html
        errors = html[html.index('id="csv-errors"') :]
        assert case.message in errors[: errors.index("</div>")]
    else:
        assert f'id="error-{case.field}"' in html, html[:3000]
        start = html.index(f'id="error-{case.field}"')
        assert case.message in html[start : html.index("</p>", start)]
    assert _counts() == before
    assert list(BrandKit.objects.values()) == kit_before
    assert not no_queue.called


@pytest.mark.parametrize("name", list(FILE_NAMES.values()), ids=list(FILE_NAMES))
def test_a_stored_file_name_that_is_not_yours_is_404(
    member_client: Any, ctx: Ctx, name: Callable[[Ctx], str]
) -> None:
    """Path tricks and other workspaces' files get a plain 404, never a file or a 5xx."""
    response = member_client.get("/files/" + name(ctx))
    assert response.status_code == 404


QUERIES: dict[str, tuple[str, str]] = {
    "a gallery filter with a NUL": ("gallery", "?engine=a%00b&status=x%00&project=1%00"),
    "a gallery project that is not a number": ("gallery", "?project=../../1&page=-3"),
    "a template library filter with a NUL": ("template_library", "?mode=a%00&aspect=%00"),
    "an editor source with a NUL": ("job_new", "?from=1%00"),
    "a batch template with a NUL": ("batch_new", "?template=1%00"),
    "an avatar video source with a NUL": ("avatar_video_new", "?from=%00&avatar=1%00"),
}


@pytest.mark.parametrize("query", list(QUERIES.values()), ids=list(QUERIES))
def test_a_page_ignores_a_query_it_cannot_use(
    member_client: Any, ctx: Ctx, query: tuple[str, str]
) -> None:
    """Odd query strings never make a 5xx: the page answers as without them, or 404."""
    name, params = query
    response = member_client.get(reverse(name, args=[ctx.workspace.pk]) + params)
    assert response.status_code in (200, 404)
