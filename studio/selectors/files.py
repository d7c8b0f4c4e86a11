"""Who may read a stored file, and its address."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q
from django.urls import reverse

from studio.models import Asset, BrandKit, Export, Generation, StyleLora, Template, Video
from studio.selectors.workspaces import is_member


def can_read_file(*, user: User | AnonymousUser, name: str) -> bool:
    """Whether the user may read a stored file: a member of its workspace, or anyone signed
    in for a built-in template's preview."""
    owner = file_owner(name=name)
    if owner is None:
        return False
    if owner[0] is None:
        return user.is_authenticated
    return is_member(user=user, workspace_id=owner[0])


def file_owner(
    *, name: str
) -> tuple[int | None, Video | Asset | BrandKit | Template | Generation | StyleLora] | None:
    """The workspace id and the object a stored file belongs to, or None if no object has it."""
    if "\x00" in name:  # no stored name has one, and PostgreSQL refuses it in a query
        return None
    video = (
        Video.objects.filter(file=name).first()
        or Video.objects.filter(poster=name).first()
        or (Video.objects.filter(captions=name).first() if name else None)
    )
    if video is not None:
        return video.workspace_id, video
    export = Export.objects.filter(file=name).select_related("video").first() if name else None
    if export is not None:
        return export.video.workspace_id, export.video
    asset = Asset.objects.filter(file=name).first()
    if asset is not None:
        return asset.workspace_id, asset
    kit = BrandKit.objects.filter(logo=name).first() if name else None
    if kit is not None:
        return kit.workspace_id, kit
    template = (
        Template.objects.filter(Q(preview=name) | Q(preview_poster=name)).first() if name else None
    )
    if template is not None:
        return template.workspace_id, template
    # A storyboard scene's poster: its thumbnail on the storyboard page (the footage itself
    # is never served; the finished video is).
    generation = Generation.objects.filter(poster=name).first() if name else None
    if generation is not None:
        return generation.workspace_id, generation
    lora = StyleLora.objects.filter(file=name).first() if name else None
    if lora is not None:
        return lora.workspace_id, lora
    return None


# Live state ---------------------------------------------------------------------------------


def file_url(name: str) -> str:
    return reverse("file", kwargs={"name": name})
