"""Avatars: the portrait library, the talking-head script editor and Play voice."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studio import ratelimits, selectors, services
from studio.engines import voice_list
from studio.forms.avatars import AvatarUploadForm, AvatarVideoForm, VoicePreviewForm
from studio.models import Job
from studio.views.access import MAKING_REFUSED, AuthenticatedRequest, member_of


@login_required
def avatar_library(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The workspace's portraits, each with its detected face; editors upload more."""
    membership = member_of(
        request,
        workspace_id,
        editing="Viewers cannot add avatars." if request.method == "POST" else None,
    )
    workspace = membership.workspace
    form = AvatarUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.avatars.avatar_create(
                workspace=workspace,
                user=request.user,
                name=form.cleaned_data["name"],
                upload=form.cleaned_data["image"].upload,
                image=form.cleaned_data["image"].image,
            )
        except ValidationError as exc:
            form.add_error("image", exc)
        else:
            messages.success(request, "Avatar added.")
            return redirect("avatar_library", workspace_id=workspace_id)
    return render(
        request,
        "studio/avatar_library.html",
        {
            "workspace": workspace,
            "membership": membership,
            "form": form,
            "avatars": selectors.avatar_list_for_workspace(workspace=workspace),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_POST
@login_required
def avatar_edit(request: AuthenticatedRequest, workspace_id: int, avatar_id: int) -> HttpResponse:
    """Rename an avatar (``name``) or remove it from the library (``delete``)."""
    membership = member_of(request, workspace_id, editing="Viewers cannot change avatars.")
    avatar = selectors.avatar_get(workspace=membership.workspace, avatar_id=avatar_id)
    if "delete" in request.POST:
        services.avatars.avatar_delete(avatar=avatar)
        messages.success(request, f"{avatar.name} was removed; its videos are kept.")
    else:
        try:
            services.avatars.avatar_rename(avatar=avatar, name=request.POST.get("name", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Avatar renamed.")
    return redirect("avatar_library", workspace_id=workspace_id)


@login_required
def avatar_video_new(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The script editor: pick an avatar and a voice, hear it, and make the talking head."""
    membership = member_of(request, workspace_id, editing=MAKING_REFUSED)
    workspace = membership.workspace
    avatars = selectors.avatar_list_for_workspace(workspace=workspace)
    initial = _avatar_initial(request, workspace)
    form = AvatarVideoForm(
        request.POST or None, avatars=avatars, voices=voice_list(), initial=initial
    )
    submitting = request.method == "POST" and form.is_valid()
    # Counted only once the form is valid, and before anything (an upload) is stored.
    wait = ratelimits.wait_for(request, "jobs") if submitting else None
    if submitting and wait is None:
        try:
            job = services.avatars.avatar_job_submit(
                workspace=workspace,
                user=request.user,
                avatar=form.cleaned_data["avatar"],
                params=form.to_params(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("job_detail", workspace_id=workspace.pk, job_id=job.pk)
    response = render(
        request,
        "studio/avatar_new.html",
        {
            "workspace": workspace,
            "membership": membership,
            "form": form,
            "avatars": avatars,
            "throttled": ratelimits.too_many("jobs", wait) if wait else "",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
    return ratelimits.refused(response, wait) if wait else response


def _avatar_initial(request: AuthenticatedRequest, workspace: Any) -> dict[str, Any]:
    """Prefill from ?avatar=<id>, or from ?from=<job id> (a talking head to tweak and remake)."""
    source, avatar = request.GET.get("from", ""), request.GET.get("avatar", "")
    if source.isdigit():
        job = selectors.job_get(workspace=workspace, job_id=int(source))
        if job.mode == Job.Mode.AVATAR:
            return {
                "avatar": job.avatar_id,
                "script": job.script,
                "voice": job.voice,
                "speed": f"{job.speed:.1f}",
                "captions": job.captions,
            }
    return {"avatar": int(avatar)} if avatar.isdigit() else {}


@require_POST
@login_required
def avatar_voice_preview(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The script spoken by the chosen voice (WAV), to hear before generating."""
    member_of(request, workspace_id, editing=MAKING_REFUSED)
    form = VoicePreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "Type a script and choose a voice first."}, status=400)
    wait = ratelimits.wait_for(request, "voice")
    if wait is not None:
        refusal = JsonResponse({"error": ratelimits.too_many("voice", wait)})
        return ratelimits.refused(refusal, wait)
    data = form.cleaned_data
    try:
        wav = services.avatars.voice_preview(
            script=data["script"], voice=data["voice"], speed=data["speed"]
        )
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return HttpResponse(wav, content_type="audio/wav")
