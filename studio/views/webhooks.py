"""The workspace's webhooks: endpoints, their secrets (shown once) and delivery logs.

Owners manage endpoints, as they manage members: an endpoint sends the workspace's videos
and prompts to another system. Editors may look (their jobs trigger the events, and they are
the ones asking whether the CRM heard of a video), but not change; viewers do not see them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studio import selectors, services
from studio.forms.webhooks import WebhookEndpointForm
from studio.models import Membership
from studio.views.access import AuthenticatedRequest, member_of

VIEWING_REFUSED = "Viewers cannot see this workspace's webhooks."
MANAGING_REFUSED = "Only owners can add, delete or resend webhooks."
_JUST_MADE = "webhook_just_made"  # the session key that carries a new secret to the next page


def _member(request: AuthenticatedRequest, workspace_id: int, *, manage: bool) -> Membership:
    membership = member_of(request, workspace_id, editing=VIEWING_REFUSED)
    if manage and membership.role != Membership.Role.OWNER:
        raise PermissionDenied(MANAGING_REFUSED)
    return membership


@login_required
def webhooks(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The endpoints, and (for owners) a form to add one."""
    membership = _member(request, workspace_id, manage=request.method == "POST")
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhooks.webhook_endpoint_create(
                workspace=membership.workspace,
                user=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Shown once, on the next page: a reload there no longer shows it.
            request.session[_JUST_MADE] = [endpoint.pk, secret]
            return redirect("webhook_detail", workspace_id=workspace_id, endpoint_id=endpoint.pk)
    return render(
        request,
        "studio/webhooks.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "is_owner": membership.role == Membership.Role.OWNER,
            "form": form,
            "endpoints": selectors.webhook_endpoint_list(workspace=membership.workspace),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
def webhook_detail(
    request: AuthenticatedRequest, workspace_id: int, endpoint_id: int
) -> HttpResponse:
    """One endpoint: its events, its secret right after it was made, its delivery log."""
    membership = _member(request, workspace_id, manage=False)
    endpoint = selectors.webhook_endpoint_get(
        workspace=membership.workspace, endpoint_id=endpoint_id
    )
    new = request.session.pop(_JUST_MADE, None)
    secret = new[1] if new and new[0] == endpoint.pk else None
    return render(
        request,
        "studio/webhook_detail.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "is_owner": membership.role == Membership.Role.OWNER,
            "endpoint": endpoint,
            "secret": secret,
            "deliveries": selectors.webhook_delivery_list(endpoint=endpoint),
        },
    )


@require_POST
@login_required
def webhook_delete(
    request: AuthenticatedRequest, workspace_id: int, endpoint_id: int
) -> HttpResponse:
    membership = _member(request, workspace_id, manage=True)
    endpoint = selectors.webhook_endpoint_get(
        workspace=membership.workspace, endpoint_id=endpoint_id
    )
    services.webhooks.webhook_endpoint_delete(endpoint=endpoint)
    messages.info(request, f"Webhook to {endpoint.url} deleted.")
    return redirect("webhooks", workspace_id=workspace_id)


@require_POST
@login_required
def webhook_delivery_retry(
    request: AuthenticatedRequest, workspace_id: int, delivery_id: int
) -> HttpResponse:
    """ "Send again", from the delivery log."""
    membership = _member(request, workspace_id, manage=True)
    delivery = selectors.webhook_delivery_get(
        workspace=membership.workspace, delivery_id=delivery_id
    )
    try:
        services.webhooks.webhook_delivery_retry(delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, f"{delivery.event} is being sent again.")
    return redirect("webhook_detail", workspace_id=workspace_id, endpoint_id=delivery.endpoint_id)
