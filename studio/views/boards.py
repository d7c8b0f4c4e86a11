"""Boards: named collections of videos. Any member makes one, and puts videos on it from a
video's page or the gallery; the gallery filters by board."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from studio import selectors, services
from studio.forms.styles import BoardAddForm, BoardForm
from studio.models import Membership, Video
from studio.views.access import AuthenticatedRequest, member_of
from studio.views.jobs import render_gallery, render_job_page


@require_POST
@login_required
def board_create(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """A new board, from the gallery; the gallery then shows it (empty)."""
    membership = member_of(request, workspace_id)
    form = BoardForm(request.POST)
    if form.is_valid():
        try:
            board = services.boards.board_create(
                workspace=membership.workspace, user=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(f"{reverse('gallery', args=[workspace_id])}?board={board.pk}")
    return render_gallery(request, workspace_id, board_form=form)


@require_POST
@login_required
def board_add(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    """Put the job's video on a board of the workspace, or on a new one named in the form."""
    membership = member_of(request, workspace_id)
    video = _video(membership, job_id)
    boards = selectors.board_list_for_workspace(workspace=membership.workspace)
    form = BoardAddForm(request.POST, boards=boards)
    if form.is_valid():
        try:
            board = form.cleaned_data["board"] or services.boards.board_create(
                workspace=membership.workspace, user=request.user, name=form.cleaned_data["name"]
            )
            services.boards.board_add_video(board=board, video=video)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _back(request, workspace_id, job_id)
    page = render_job_page(request, workspace_id, job_id, board_form=form)
    page.status_code = 400
    return page


@require_POST
@login_required
def board_remove(
    request: AuthenticatedRequest, workspace_id: int, job_id: int, board_id: int
) -> HttpResponse:
    membership = member_of(request, workspace_id)
    video = _video(membership, job_id)
    board = selectors.board_get(workspace=membership.workspace, board_id=board_id)
    services.boards.board_remove_video(board=board, video=video)
    return _back(request, workspace_id, job_id)


def _video(membership: Membership, job_id: int) -> Video:
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video = getattr(job, "video", None)
    if video is None:
        raise Http404
    return video


def _back(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    """To the page the form was on (the gallery, with its filters), else the job's boards."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(f"{reverse('job_detail', args=[workspace_id, job_id])}#boards")
