"""Deleting a row deletes its files: nothing stays in storage that no object names."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from studio import services
from studio.models import Asset, Avatar, BrandKit, Job, Workspace

pytestmark = pytest.mark.django_db


def _stored(*names: str) -> list[bool]:
    return [default_storage.exists(name) for name in names]


def test_deleting_a_workspace_deletes_every_file_of_it(
    video: Any, django_capture_on_commit_callbacks: Any
):
    """Its videos, posters, uploads and brand logo are gone from storage once it is deleted."""
    workspace = video.workspace
    kit = BrandKit.objects.create(workspace=workspace)
    kit.logo.save("logo.png", ContentFile(b"png"))
    names = [video.file.name, video.poster.name, video.job.image.file.name, kit.logo.name]
    assert _stored(*names) == [True] * 4
    with django_capture_on_commit_callbacks(execute=True):
        Workspace.objects.get(pk=workspace.pk).delete()
    assert _stored(*names) == [False] * 4


def test_deleting_an_avatar_deletes_a_portrait_nothing_else_uses(
    workspace: Any, user: Any, asset: Asset, django_capture_on_commit_callbacks: Any
):
    """An avatar whose portrait made no video takes the portrait's file with it."""
    avatar = Avatar.objects.create(workspace=workspace, name="Ana", image=asset, created_by=user)
    name = asset.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.avatars.avatar_delete(avatar=avatar)
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert _stored(name) == [False]


def test_deleting_an_avatar_keeps_a_portrait_its_videos_use(
    job: Job, django_capture_on_commit_callbacks: Any
):
    """A portrait a job was made from stays, with its file, when the avatar goes."""
    avatar = Avatar.objects.create(workspace=job.workspace, name="Ana", image=job.image)
    with django_capture_on_commit_callbacks(execute=True):
        services.avatars.avatar_delete(avatar=avatar)
    assert job.image is not None and _stored(job.image.file.name) == [True]


def test_a_replaced_template_preview_deletes_the_old_file(
    workspace: Any, django_capture_on_commit_callbacks: Any
):
    """Saving a new preview over the old one leaves only the new file."""
    from studio.models import Template

    template = Template.objects.create(
        workspace=workspace,
        name="Hello",
        mode="text-to-video",
        engine="embedded",
        prompt="a slow zoom",
        width=64,
        height=64,
        num_frames=8,
        fps=8,
        steps=1,
    )
    template.preview.save("old.mp4", ContentFile(b"old"))
    old = template.preview.name
    with django_capture_on_commit_callbacks(execute=True):
        template.preview.save("new.mp4", ContentFile(b"new"))
    assert _stored(old, template.preview.name) == [False, True]
