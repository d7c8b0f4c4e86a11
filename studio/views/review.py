"""Review on the job page: timecoded comments, resolving them, and the video's review state.

Every member may comment (viewers are often the reviewers); owners and editors set the
review state, and resolve comments, as does a comment's author.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from studio import selectors, services
from studio.forms.sharing import ReviewCommentForm, ReviewStateForm
from studio.models import Membership, Video
from studio.views.access import AuthenticatedRequest, member_of
from studio.views.jobs import render_job_page


def _video(membership: Membership, job_id: int) -> Video:
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video = getattr(job, "video", None)
    if video is None:
        raise Http404
    return video


def _back(workspace_id: int, job_id: int) -> HttpResponse:
    return redirect(f"{reverse('job_detail', args=[workspace_id, job_id])}#review")


@require_POST
@login_required
def comment_create(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id)
    video = _video(membership, job_id)
    form = ReviewCommentForm(request.POST, video=video)
    if form.is_valid():
        try:
            services.review.review_comment_create(
                video=video,
                user=request.user,
                at_seconds=form.cleaned_data["at_seconds"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            return _back(workspace_id, job_id)
    page = render_job_page(request, workspace_id, job_id, comment_form=form)
    page.status_code = 400
    return page


@require_POST
@login_required
def comment_resolve(
    request: AuthenticatedRequest, workspace_id: int, job_id: int, comment_id: int
) -> HttpResponse:
    membership = member_of(request, workspace_id)
    video = _video(membership, job_id)
    comment = selectors.review_comment_get(video=video, comment_id=comment_id)
    if not membership.can_edit and comment.author_id != request.user.pk:
        raise PermissionDenied("Viewers can resolve only their own comments.")
    services.review.review_comment_resolve(
        comment=comment, resolved=request.POST.get("resolved") != "0"
    )
    return _back(workspace_id, job_id)


@require_POST
@login_required
def review_state(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    membership = member_of(
        request, workspace_id, editing="Viewers cannot change a video's review state."
    )
    video = _video(membership, job_id)
    form = ReviewStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a review state.")
        return _back(workspace_id, job_id)
    services.review.review_state_set(
        video=video, state=form.cleaned_data["state"], user=request.user
    )
    messages.success(request, f"Review state: {video.get_review_state_display()}.")
    return _back(workspace_id, job_id)
