"""Boards: named collections of a workspace's videos, for its members only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse

from studio import selectors, services
from studio.models import Board, Job, Membership, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(workspace: Any, user: Any) -> Board:
    return services.boards.board_create(workspace=workspace, user=user, name="Spring launch")


@pytest.fixture
def their_video(other_user: Any, video: Video) -> Video:
    """A finished video of otto's own workspace."""
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    job = Job.objects.create(
        workspace=theirs,
        mode="image-to-video",
        engine="camera-motion",
        queue="cpu",
        prompt="their clip",
        width=8,
        height=8,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0,
        seed=1,
        status=Job.Status.SUCCEEDED,
    )
    clip = Video(
        job=job, workspace=theirs, width=8, height=8, fps=8, num_frames=8, duration=1, size_bytes=1
    )
    clip.file.save("theirs.mp4", ContentFile(b"0"), save=False)
    clip.poster.save("theirs.jpg", ContentFile(b"0"), save=False)
    clip.save()
    return clip


def _add(client: Any, video: Video, **data: Any) -> Any:
    job = video.job
    return client.post(reverse("board_add", args=[job.workspace_id, job.pk]), data)


def test_a_member_makes_a_board_from_the_gallery(member_client, workspace):
    """The gallery's form makes a board and shows it, empty, filtered by it."""
    url = reverse("board_create", args=[workspace.pk])
    response = member_client.post(url, {"name": "  Best of Q3 "})
    board = Board.objects.get()
    assert board.name == "Best of Q3"
    assert response.url == reverse("gallery", args=[workspace.pk]) + f"?board={board.pk}"
    html = member_client.get(response.url).content.decode()
    assert f'<option value="{board.pk}" selected>Best of Q3 (0)</option>' in html


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "This field is required."), ("spring LAUNCH", "already a board called")],
)
def test_a_bad_board_name_is_refused_next_to_the_field(
    member_client, workspace, board, name, message
):
    """A blank or taken name: 400 by the name, nothing made."""
    response = member_client.post(reverse("board_create", args=[workspace.pk]), {"name": name})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-board-name"' in html and message in html
    assert Board.objects.count() == 1


def test_the_video_page_adds_a_video_to_a_board_and_lists_it(member_client, video, board):
    """Add from the video's page: the board lists it, the page shows the board, the gallery
    filter shows it; removing takes it off."""
    response = _add(member_client, video, board=board.pk)
    assert response.status_code == 302 and response.url.endswith("#boards")
    assert list(board.videos.all()) == [video]
    page = member_client.get(reverse("job_detail", args=[video.workspace_id, video.job_id]))
    html = page.content.decode()
    assert 'id="video-boards"' in html and "Spring launch" in html
    gallery = reverse("gallery", args=[video.workspace_id])
    filtered = member_client.get(gallery, {"board": board.pk}).content.decode()
    assert f'data-job="{video.job_id}"' in filtered
    remove = reverse("board_remove", args=[video.workspace_id, video.job_id, board.pk])
    assert member_client.post(remove).status_code == 302
    assert not board.videos.exists()
    filtered = member_client.get(gallery, {"board": board.pk}).content.decode()
    assert f'data-job="{video.job_id}"' not in filtered


def test_adding_to_a_new_board_names_it_in_the_same_form(member_client, video):
    """No board chosen and a name given: the board is made and the video put on it."""
    assert _add(member_client, video, name="Hero shots").status_code == 302
    assert list(Board.objects.get(name="Hero shots").videos.all()) == [video]


def test_adding_with_neither_a_board_nor_a_name_is_refused_by_the_field(member_client, video):
    """Nothing chosen: 400 on the video's page, the message by the name."""
    response = _add(member_client, video)
    assert response.status_code == 400
    assert "Choose a board, or name a new one." in response.content.decode()
    assert not Board.objects.exists()


def test_the_gallery_adds_a_video_and_returns_to_the_same_filters(
    member_client, workspace, video, board
):
    """The gallery's per-video form comes back to the gallery as it was."""
    gallery = reverse("gallery", args=[workspace.pk]) + "?status=succeeded"
    html = member_client.get(gallery).content.decode()
    assert f'data-board-add="{video.job_id}"' in html
    response = _add(member_client, video, board=board.pk, next=gallery)
    assert response.url == gallery
    assert board.videos.filter(pk=video.pk).exists()
    elsewhere = _add(member_client, video, board=board.pk, next="https://evil.example/")
    assert elsewhere.url.endswith("#boards")  # never off the site


def test_viewers_are_members_and_may_use_boards(client, workspace, other_user, video, board):
    """A viewer makes a board and adds a video: boards are for every member."""
    services.workspaces.membership_add(
        workspace=workspace, user=other_user, role=Membership.Role.VIEWER
    )
    client.force_login(other_user)
    assert _add(client, video, board=board.pk).status_code == 302
    assert board.videos.filter(pk=video.pk).exists()


def test_non_members_get_404_everywhere(client, workspace, other_user, video, board):
    """Otto cannot make a board, add to one, remove from one, or filter by one here."""
    client.force_login(other_user)
    job = video.job
    assert (
        client.post(reverse("board_create", args=[workspace.pk]), {"name": "X"}).status_code == 404
    )
    assert _add(client, video, board=board.pk).status_code == 404
    remove = reverse("board_remove", args=[workspace.pk, job.pk, board.pk])
    assert client.post(remove).status_code == 404
    assert (
        client.get(reverse("gallery", args=[workspace.pk]), {"board": board.pk}).status_code == 404
    )
    assert not board.videos.exists() and Board.objects.count() == 1


def test_another_workspaces_video_is_refused(workspace, board, their_video):
    """The service refuses a video of another workspace; nothing is added."""
    with pytest.raises(ValidationError, match="not in this board's workspace"):
        services.boards.board_add_video(board=board, video=their_video)
    assert not board.videos.exists()


def test_another_workspaces_video_cannot_be_added_through_the_page(
    member_client, workspace, board, their_video
):
    """Maya naming otto's job under her workspace gets 404; under his, 404 too."""
    job = their_video.job
    assert (
        member_client.post(
            reverse("board_add", args=[workspace.pk, job.pk]), {"board": board.pk}
        ).status_code
        == 404
    )
    assert (
        member_client.post(
            reverse("board_add", args=[their_video.workspace_id, job.pk]), {"board": board.pk}
        ).status_code
        == 404
    )
    assert not board.videos.exists()


def test_another_workspaces_board_is_not_a_choice(client, other_user, video, their_video, board):
    """Otto posting maya's board id for his own video: refused by the field, nothing added."""
    client.force_login(other_user)
    response = _add(client, their_video, board=board.pk)
    assert response.status_code == 400
    assert "That board is not one of this workspace&#x27;s." in response.content.decode()
    assert not board.videos.exists()


def test_the_board_filter_shows_only_the_workspaces_own_board(workspace, video, board, other_user):
    """A board id of another workspace filters maya's gallery to nothing."""
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    other = services.boards.board_create(workspace=theirs, user=other_user, name="Theirs")
    services.boards.board_add_video(board=board, video=video)
    assert list(selectors.job_list_for_workspace(workspace=workspace, board_id=board.pk)) == [
        video.job
    ]
    assert not selectors.job_list_for_workspace(workspace=workspace, board_id=other.pk).exists()
