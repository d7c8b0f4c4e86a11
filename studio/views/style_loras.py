"""The workspace's style LoRAs: every member sees them, owners upload and delete them.

Owners manage them, as they manage models' costs and members: a LoRA changes what every
editor's videos look like, and a file that size is the operator's disk and the workers' memory.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from generation import limits
from studio import selectors, services
from studio.engines import style_lora_engines
from studio.forms.style_loras import StyleLoraUploadForm
from studio.models import Membership
from studio.views.access import AuthenticatedRequest, member_of

MANAGING_REFUSED = "Only owners can upload or delete style LoRAs."


def _member(request: AuthenticatedRequest, workspace_id: int, *, manage: bool) -> Membership:
    membership = member_of(request, workspace_id)
    if manage and membership.role != Membership.Role.OWNER:
        raise PermissionDenied(MANAGING_REFUSED)
    return membership


@login_required
def style_loras(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The LoRAs, each with the model family and layers it was checked for; owners add more."""
    membership = _member(request, workspace_id, manage=request.method == "POST")
    workspace = membership.workspace
    form = StyleLoraUploadForm(
        request.POST or None, request.FILES or None, engines=style_lora_engines()
    )
    if request.method == "POST" and form.is_valid():
        try:
            lora = services.style_loras.style_lora_create(
                workspace=workspace,
                user=request.user,
                name=form.cleaned_data["name"],
                engine=form.cleaned_data["engine"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            form.add_error("name" if exc.code == "name_required" else "file", exc)
        else:
            messages.success(request, f"{lora.name} was checked and added.")
            return redirect("style_loras", workspace_id=workspace_id)
    return render(
        request,
        "studio/style_loras.html",
        {
            "workspace": workspace,
            "membership": membership,
            "is_owner": membership.role == Membership.Role.OWNER,
            "form": form,
            "loras": selectors.style_lora_list_for_workspace(workspace=workspace),
            "max_mb": limits.MAX_STYLE_LORA_BYTES // 2**20,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_POST
@login_required
def style_lora_delete(
    request: AuthenticatedRequest, workspace_id: int, lora_id: int
) -> HttpResponse:
    membership = _member(request, workspace_id, manage=True)
    lora = selectors.style_lora_get(workspace=membership.workspace, lora_id=lora_id)
    try:
        services.style_loras.style_lora_delete(lora=lora)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, f"{lora.name} deleted; the videos made with it are kept.")
    return redirect("style_loras", workspace_id=workspace_id)
