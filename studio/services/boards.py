"""Boards: named collections of a workspace's videos, which any member may make and fill."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from studio.models import Board, Video, Workspace

MAX_BOARD_NAME_CHARS = 100


def board_create(*, workspace: Workspace, user: User, name: str) -> Board:
    """A new, empty board; its name is the workspace's only board of that name."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ValidationError("Name the board.", code="empty")})
    if len(name) > MAX_BOARD_NAME_CHARS:
        raise ValidationError(
            {
                "name": ValidationError(
                    f"Keep a board's name to {MAX_BOARD_NAME_CHARS} characters.", code="too_long"
                )
            }
        )
    if Board.objects.filter(workspace=workspace, name__iexact=name).exists():
        raise ValidationError(
            {
                "name": ValidationError(
                    "There is already a board called %(name)s.",
                    code="name_taken",
                    params={"name": repr(name)},
                )
            }
        )
    return Board.objects.create(workspace=workspace, name=name, created_by=user)


def board_add_video(*, board: Board, video: Video) -> Board:
    """Put the video on the board (again is no change). Both must be of one workspace."""
    _check_same_workspace(board, video)
    board.videos.add(video)
    return board


def board_remove_video(*, board: Board, video: Video) -> Board:
    _check_same_workspace(board, video)
    board.videos.remove(video)
    return board


def board_delete(*, board: Board) -> None:
    """Delete the board; its videos stay in the gallery."""
    board.delete()


def _check_same_workspace(board: Board, video: Video) -> None:
    if board.workspace_id != video.workspace_id:
        raise ValidationError(
            "That video is not in this board's workspace.", code="other_workspace"
        )
