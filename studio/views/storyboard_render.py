"""A storyboard's render: start it, cancel it, retry a failed scene (editors), and the render
panel of the storyboard page, fetched again by static/js/storyboard_render.js as it changes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from studio import previews, ratelimits, selectors, services
from studio.models import StoryboardScene
from studio.views.access import MAKING_REFUSED, AuthenticatedRequest, member_of


@require_POST
@login_required
def storyboard_render(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> HttpResponse:
    membership = member_of(request, workspace_id, editing=MAKING_REFUSED)
    storyboard = selectors.storyboard_get(
        workspace=membership.workspace, storyboard_id=storyboard_id
    )
    wait = ratelimits.wait_for(request, "jobs")
    if wait is not None:
        messages.error(request, ratelimits.too_many("jobs", wait))
        return ratelimits.refused(_back(request, storyboard.pk, workspace_id), wait)
    try:
        services.storyboard_render.storyboard_render(storyboard=storyboard, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(request, storyboard.pk, workspace_id)


@require_POST
@login_required
def storyboard_render_cancel(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> HttpResponse:
    membership = member_of(request, workspace_id, editing="Viewers cannot cancel renders.")
    storyboard = selectors.storyboard_get(
        workspace=membership.workspace, storyboard_id=storyboard_id
    )
    active = selectors.storyboard_render_active(storyboard=storyboard)
    try:
        if active is None:
            raise ValidationError("Nothing is rendering.", code="ended")
        services.storyboard_render.storyboard_render_cancel(render=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(request, storyboard.pk, workspace_id)


@require_POST
@login_required
def storyboard_scene_retry(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int, scene_id: int
) -> HttpResponse:
    membership = member_of(request, workspace_id, editing=MAKING_REFUSED)
    storyboard = selectors.storyboard_get(
        workspace=membership.workspace, storyboard_id=storyboard_id
    )
    scene = selectors.storyboard_scene_get(storyboard=storyboard, scene_id=scene_id)
    latest = selectors.storyboard_render_latest(storyboard=storyboard)
    try:
        if latest is None:
            raise ValidationError("This storyboard has not been rendered.", code="no_render")
        services.storyboard_render.storyboard_scene_retry(
            render=latest, scene=scene, user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(request, storyboard.pk, workspace_id)


@require_GET
@login_required
def storyboard_render_panel(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> HttpResponse:
    """The render panel on a page of its own; with ``partial=1``, the panel alone, as the
    storyboard page includes it (and as the panel's script fetches it again)."""
    membership = member_of(request, workspace_id)
    storyboard = selectors.storyboard_get(
        workspace=membership.workspace, storyboard_id=storyboard_id
    )
    context = selectors.storyboard_render_context(storyboard=storyboard)
    # The forms send the member back to the page the panel is on, not to the panel.
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    partial = request.GET.get("partial") == "1"
    return render(
        request,
        "studio/storyboards/_render.html" if partial else "studio/storyboards/render.html",
        {
            **context,
            "workspace": membership.workspace,
            "membership": membership,
            "render_next": back,
        },
    )


def _back(request: AuthenticatedRequest, storyboard_id: int, workspace_id: int) -> HttpResponse:
    """Back to the page the form was on (the storyboard's), else the render panel."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("storyboard_render_panel", args=[workspace_id, storyboard_id])
    return HttpResponseRedirect(target)


@require_GET
@login_required
def storyboard_card_still(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int, card: str
) -> HttpResponse:
    """A still of one of the storyboard's cards ("intro", "outro" or a card scene's id), as the
    assembly draws it: the render panel's thumbnail for what no worker makes ahead."""
    membership = member_of(request, workspace_id)
    storyboard = selectors.storyboard_get(
        workspace=membership.workspace, storyboard_id=storyboard_id
    )
    which: str | StoryboardScene = card
    if card not in ("intro", "outro"):
        if not card.isdigit():
            raise Http404("No such card.")
        which = selectors.storyboard_scene_get(storyboard=storyboard, scene_id=int(card))
    png = previews.card_still(storyboard=storyboard, card=which)
    if png is None:
        raise Http404("No such card in this storyboard.")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=60"
    return response
