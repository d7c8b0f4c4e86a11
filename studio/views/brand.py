"""The workspace's brand kit page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpResponse,
)
from django.shortcuts import redirect, render

from studio import selectors, services
from studio.forms.brand import BrandKitForm
from studio.views.access import AuthenticatedRequest, member_of


@login_required
def brand_kit(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The workspace's logo, colours, font and overlay styles; editors change them."""
    membership = member_of(
        request,
        workspace_id,
        editing="Viewers cannot change the brand kit." if request.method == "POST" else None,
    )
    kit = selectors.brand_kit_for_workspace(workspace=membership.workspace)
    form = BrandKitForm(
        request.POST or None, request.FILES or None, initial=BrandKitForm.initial_for(kit)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.brand.brand_kit_update(
            workspace=membership.workspace,
            primary_color=data["primary_color"],
            text_color=data["text_color"],
            accent_color=data["accent_color"],
            font=data["font"],
            lower_third_style=data["lower_third_style"],
            end_card_style=data["end_card_style"],
            logo=data["logo"].upload if data.get("logo") else None,
            logo_image=data["logo"].image if data.get("logo") else None,
            remove_logo=data.get("remove_logo", False),
        )
        messages.success(request, "Brand kit saved.")
        return redirect("brand_kit", workspace_id=workspace_id)
    return render(
        request,
        "studio/brand_kit.html",
        {"workspace": membership.workspace, "membership": membership, "kit": kit, "form": form},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
