"""Reads of boards."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from studio.models import Board, Video, Workspace


def board_list_for_workspace(*, workspace: Workspace) -> QuerySet[Board]:
    return Board.objects.filter(workspace=workspace).annotate(video_count=Count("videos"))


def board_get(*, workspace: Workspace, board_id: int) -> Board:
    board = Board.objects.filter(workspace=workspace, pk=board_id).first()
    if board is None:
        raise Http404
    return board


def board_ids_for_video(*, video: Video) -> list[int]:
    return list(video.boards.values_list("pk", flat=True))
