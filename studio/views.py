"""Pages. Each view checks membership (through a selector), then renders or calls one service."""

from __future__ import annotations

import mimetypes
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from generation import EngineUnavailable, limits
from generation.engines import default_engine
from studio import batches, exports, previews, selectors, services
from studio.engines import engine_list, engine_presets, engine_settings, voice_list
from studio.forms.avatars import AvatarUploadForm, AvatarVideoForm, VoicePreviewForm
from studio.forms.batches import BatchForm
from studio.forms.brand import BrandKitForm
from studio.forms.jobs import JobForm
from studio.forms.templates import TemplateEditForm, TemplateFillForm, TemplateSaveForm
from studio.forms.workspaces import MemberForm, WorkspaceForm
from studio.models import Batch, Job, Membership, Template
from studio.params import SIZES

GALLERY_PAGE_SIZE = 24


def _membership(request: HttpRequest, workspace_id: int) -> Membership:
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id)
    request.session["workspace_id"] = workspace_id
    return membership


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The current workspace's dashboard (the last one visited, else the user's first)."""
    workspace_id = request.session.get("workspace_id")
    if not workspace_id or not selectors.is_member(user=request.user, workspace_id=workspace_id):
        workspace_id = services.workspaces.workspace_ensure_personal(user=request.user).pk  # type: ignore[arg-type]
    return workspace_dashboard(request, workspace_id)


@require_GET
@login_required
def workspace_dashboard(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    workspace = membership.workspace
    jobs = selectors.job_list_for_workspace(workspace=workspace)
    return render(
        request,
        "studio/dashboard.html",
        {
            "workspace": workspace,
            "membership": membership,
            "active_jobs": selectors.job_active_for_workspace(workspace=workspace),
            "recent_jobs": jobs.filter(status=Job.Status.SUCCEEDED)[:8],
            "job_count": jobs.count(),
        },
    )


@login_required
def job_new(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    workspace = membership.workspace
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot make videos in this workspace.")
    engines = engine_list()
    projects = selectors.project_list_for_workspace(workspace=workspace)
    form = JobForm(
        request.POST or None,
        request.FILES or None,
        engines=engines,
        projects=projects,
        initial=_initial_from(request, workspace),
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = _submit(request, form, membership)
        except (ValueError, EngineUnavailable) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("job_detail", workspace_id=workspace.pk, job_id=job.pk)
    settings = engine_settings()
    return render(
        request,
        "studio/job_new.html",
        {
            "workspace": workspace,
            "membership": membership,
            "form": form,
            "engines": engines,
            "sizes": SIZES,
            "limits": limits.for_page(),
            "no_text_to_video": default_engine("text-to-video", settings) is None,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _initial_from(request: HttpRequest, workspace: Any) -> dict[str, Any]:
    """Prefill the editor from ?from=<job id> (a job of this workspace), to tweak and resubmit."""
    source = request.GET.get("from", "")
    if not source.isdigit():
        return {}
    job = selectors.job_get(workspace=workspace, job_id=int(source))
    return {
        "mode": job.mode,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "engine": job.engine,
        "preset": job.preset,
        "motion": job.motion,
        "num_frames": job.num_frames,
        "fps": job.fps,
        "steps": job.steps,
        "guidance": job.guidance,
        "project": job.project_id,
    }


def _submit(request: HttpRequest, form: JobForm, membership: Membership) -> Job:
    workspace = membership.workspace
    data = form.cleaned_data
    project = data.get("project")
    if data.get("new_project"):
        project = services.workspaces.project_get_or_create(
            workspace=workspace, name=data["new_project"]
        )
    image = None
    if data["mode"] == Job.Mode.IMAGE_TO_VIDEO and data.get("image"):
        image = services.uploads.asset_create(
            workspace=workspace,
            user=request.user,  # type: ignore[arg-type]
            upload=data["image"].upload,
            image=data["image"].image,
        )
    return services.jobs.job_submit(
        workspace=workspace,
        user=request.user,  # type: ignore[arg-type]
        params=form.to_params(),
        image=image,
        project=project,
    )


@require_GET
@login_required
def job_detail(request: HttpRequest, workspace_id: int, job_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    return render(
        request,
        "studio/job_detail.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "job": job,
            "variants": selectors.job_variants(job=job),
            "state": selectors.job_state(job),
            "video": getattr(job, "video", None) if job.status == Job.Status.SUCCEEDED else None,
        },
    )


@require_GET
@login_required
def job_state(request: HttpRequest, workspace_id: int, job_id: int) -> JsonResponse:
    """The job's state as JSON: the WebSocket snapshot, for clients that poll."""
    membership = _membership(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    return JsonResponse(selectors.job_state(job))


@require_POST
@login_required
def job_cancel(request: HttpRequest, workspace_id: int, job_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot cancel jobs.")
    services.jobs.job_cancel(job=job)
    return redirect("job_detail", workspace_id=workspace_id, job_id=job.pk)


@require_POST
@login_required
def job_rerun(request: HttpRequest, workspace_id: int, job_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot make videos in this workspace.")
    try:
        new_job = services.jobs.job_rerun(
            job=job,
            user=request.user,  # type: ignore[arg-type]
            same_seed=request.POST.get("seed") != "new",
        )
    except (ValueError, EngineUnavailable) as exc:
        messages.error(request, str(exc))
        return redirect("job_detail", workspace_id=workspace_id, job_id=job.pk)
    return redirect("job_detail", workspace_id=workspace_id, job_id=new_job.pk)


@require_GET
@login_required
def gallery(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    workspace = membership.workspace
    project = request.GET.get("project", "")
    engine = request.GET.get("engine", "")
    status = request.GET.get("status", "")
    jobs = selectors.job_list_for_workspace(
        workspace=workspace,
        project_id=int(project) if project.isdigit() else None,
        engine=engine,
        status=status if status in Job.Status.values else "",
    )
    page = Paginator(jobs, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "studio/gallery.html",
        {
            "workspace": workspace,
            "membership": membership,
            "page": page,
            "projects": selectors.project_list_for_workspace(workspace=workspace),
            "engines_used": selectors.engines_used_in_workspace(workspace=workspace),
            "statuses": Job.Status.choices,
            "filters": {"project": project, "engine": engine, "status": status},
        },
    )


@require_GET
@login_required
def video_download(request: HttpRequest, workspace_id: int, job_id: int) -> HttpResponseBase:
    membership = _membership(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video = getattr(job, "video", None)
    if video is None:
        raise Http404
    filename = f"reelsmith-{job.pk}.mp4"
    if not _is_local_storage():
        return HttpResponseRedirect(video.file.url)
    return FileResponse(video.file.open("rb"), as_attachment=True, filename=filename)


_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@require_GET
@login_required
def stored_file(request: HttpRequest, name: str) -> HttpResponseBase:
    """Serve a stored file to members of the workspace it belongs to, and 404 to anyone else.

    Byte ranges are honoured so that a video can be sought. With S3-compatible storage the
    member is sent to a short-lived signed URL instead.
    """
    if not selectors.can_read_file(user=request.user, name=name):
        raise Http404
    if not _is_local_storage():
        return HttpResponseRedirect(default_storage.url(name))
    size = default_storage.size(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    handle = default_storage.open(name, "rb")
    response: HttpResponseBase
    match = _RANGE.match(request.headers.get("Range", ""))
    if match and (match.group(1) or match.group(2)):
        start_s, end_s = match.groups()
        if start_s:
            start, end = int(start_s), min(int(end_s) if end_s else size - 1, size - 1)
        else:
            start, end = max(size - int(end_s), 0), size - 1
        if start > end or start >= size:
            handle.close()
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        handle.seek(start)
        body = handle.read(end - start + 1)
        handle.close()
        response = HttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(handle, content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _is_local_storage() -> bool:
    return hasattr(default_storage, "path") and default_storage.__class__.__name__ == (
        "FileSystemStorage"
    )


@login_required
def workspace_new(request: HttpRequest) -> HttpResponse:
    """Create a team workspace; its creator is its owner."""
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = services.workspaces.workspace_create(
            name=form.cleaned_data["name"],
            owner=request.user,  # type: ignore[arg-type]
        )
        return redirect("members", workspace_id=workspace.pk)
    return render(request, "studio/workspace_new.html", {"form": form})


@login_required
def members(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """Who is in the workspace; owners add teammates and set their roles here."""
    membership = _membership(request, workspace_id)
    is_owner = membership.role == Membership.Role.OWNER
    form = MemberForm(request.POST or None, workspace=membership.workspace)
    if request.method == "POST":
        if not is_owner:
            return HttpResponseForbidden("Only owners can add members.")
        if form.is_valid():
            services.workspaces.membership_add(
                workspace=membership.workspace,
                user=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
            return redirect("members", workspace_id=workspace_id)
    return render(
        request,
        "studio/members.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "is_owner": is_owner,
            "form": form,
            "memberships": selectors.membership_list(workspace=membership.workspace),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_POST
@login_required
def member_remove(request: HttpRequest, workspace_id: int, membership_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    target = selectors.membership_list(workspace=membership.workspace).filter(pk=membership_id)
    victim = target.first()
    if victim is None:
        raise Http404
    if membership.role != Membership.Role.OWNER and victim.pk != membership.pk:
        return HttpResponseForbidden("Only owners can remove other members.")
    try:
        services.workspaces.membership_remove(membership=victim)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("members", workspace_id=workspace_id)
    if victim.pk == membership.pk:
        return redirect("dashboard")
    return redirect("members", workspace_id=workspace_id)


# Templates ------------------------------------------------------------------------------------


@require_GET
@login_required
def template_library(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The workspace's templates and the built-in ones, filtered by kind and aspect ratio."""
    membership = _membership(request, workspace_id)
    mode = request.GET.get("mode", "")
    aspect = request.GET.get("aspect", "")
    templates = selectors.template_list_for_workspace(
        workspace=membership.workspace,
        mode=mode if mode in Template.Mode.values else "",
        aspect=aspect if aspect in Template.Aspect.values else "",
    )
    return render(
        request,
        "studio/template_library.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "templates": templates,
            "modes": Template.Mode.choices,
            "aspects": Template.Aspect.values,
            "filters": {"mode": mode, "aspect": aspect},
        },
    )


@login_required
def template_use(request: HttpRequest, workspace_id: int, template_id: int) -> HttpResponse:
    """Fill a template's fields and make the video it describes."""
    membership = _membership(request, workspace_id)
    workspace = membership.workspace
    template = selectors.template_get(workspace=workspace, template_id=template_id)
    if request.method == "POST" and not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot make videos in this workspace.")
    form = TemplateFillForm(
        request.POST or None,
        request.FILES or None,
        template=template,
        avatars=selectors.avatar_list_for_workspace(workspace=workspace),
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = _submit_template(request, form, membership)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except (ValueError, EngineUnavailable) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("job_detail", workspace_id=workspace.pk, job_id=job.pk)
    return render(
        request,
        "studio/template_use.html",
        {"workspace": workspace, "membership": membership, "template": template, "form": form},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _submit_template(request: HttpRequest, form: TemplateFillForm, membership: Membership) -> Job:
    template = form.template
    # Check the values before storing the upload, so a bad row leaves nothing behind.
    services.templates.template_params(template=template, values=form.values())
    image = None
    if form.cleaned_data.get("image"):
        image = services.uploads.asset_create(
            workspace=membership.workspace,
            user=request.user,  # type: ignore[arg-type]
            upload=form.cleaned_data["image"].upload,
            image=form.cleaned_data["image"].image,
        )
    return services.templates.template_submit(
        template=template,
        workspace=membership.workspace,
        user=request.user,  # type: ignore[arg-type]
        values=form.values(),
        image=image,
        variants=form.cleaned_data.get("variants") or 1,
        avatar=form.cleaned_data.get("avatar"),
    )


@login_required
def template_edit(request: HttpRequest, workspace_id: int, template_id: int) -> HttpResponse:
    """Edit one of the workspace's own templates (built-in ones are read-only)."""
    membership = _membership(request, workspace_id)
    template = selectors.template_get(workspace=membership.workspace, template_id=template_id)
    if template.is_builtin:
        raise Http404
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot edit templates.")
    form = TemplateEditForm(
        request.POST or None,
        initial=TemplateEditForm.initial_for(template),
        template_fields=template.fields,
        presets=engine_presets(template.engine),
        current_preset=template.preset,
        voices=voice_list() if template.mode == Template.Mode.AVATAR else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        voice, speed = form.voice_choice()
        try:
            services.templates.template_update(
                template=template,
                name=data["name"],
                description=data["description"],
                prompt=data["prompt"],
                negative_prompt=data["negative_prompt"],
                script=data["script"],
                overlays=form.overlays(template.overlays),
                fields=form.field_specs(),
                preset=form.preset_choice(),
                voice=voice,
                speed=speed,
            )
        except ValidationError as exc:
            # The error goes next to its field where the form has one.
            field = {"voice_unavailable": "voice", "bad_speed": "speed"}.get(exc.code or "")
            form.add_error(field if field in form.fields else None, exc)
        else:
            messages.success(request, "Template saved.")
            return redirect("template_edit", workspace_id=workspace_id, template_id=template.pk)
    return render(
        request,
        "studio/template_edit.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "template": template,
            "form": form,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_POST
@login_required
def template_save_from_job(request: HttpRequest, workspace_id: int, job_id: int) -> HttpResponse:
    """Save as template: a finished job's recipe becomes a template of the workspace."""
    membership = _membership(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot save templates.")
    form = TemplateSaveForm(request.POST)
    if job.status != Job.Status.SUCCEEDED or not form.is_valid():
        messages.error(request, "Only a finished video can be saved as a template, with a name.")
        return redirect("job_detail", workspace_id=workspace_id, job_id=job.pk)
    try:
        template = services.templates.template_create_from_job(
            job=job,
            user=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("job_detail", workspace_id=workspace_id, job_id=job.pk)
    return redirect("template_edit", workspace_id=workspace_id, template_id=template.pk)


# Brand kit ------------------------------------------------------------------------------------


@login_required
def brand_kit(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The workspace's logo, colours, font and overlay styles; editors change them."""
    membership = _membership(request, workspace_id)
    kit = selectors.brand_kit_for_workspace(workspace=membership.workspace)
    if request.method == "POST" and not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot change the brand kit.")
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


# Avatars --------------------------------------------------------------------------------------


@login_required
def avatar_library(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The workspace's portraits, each with its detected face; editors upload more."""
    membership = _membership(request, workspace_id)
    workspace = membership.workspace
    if request.method == "POST" and not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot add avatars.")
    form = AvatarUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.avatars.avatar_create(
                workspace=workspace,
                user=request.user,  # type: ignore[arg-type]
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
def avatar_edit(request: HttpRequest, workspace_id: int, avatar_id: int) -> HttpResponse:
    """Rename an avatar (``name``) or remove it from the library (``delete``)."""
    membership = _membership(request, workspace_id)
    avatar = selectors.avatar_get(workspace=membership.workspace, avatar_id=avatar_id)
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot change avatars.")
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
def avatar_video_new(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The script editor: pick an avatar and a voice, hear it, and make the talking head."""
    membership = _membership(request, workspace_id)
    workspace = membership.workspace
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot make videos in this workspace.")
    avatars = selectors.avatar_list_for_workspace(workspace=workspace)
    initial = _avatar_initial(request, workspace)
    form = AvatarVideoForm(
        request.POST or None, avatars=avatars, voices=voice_list(), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = services.avatars.avatar_job_submit(
                workspace=workspace,
                user=request.user,  # type: ignore[arg-type]
                avatar=form.cleaned_data["avatar"],
                params=form.to_params(),
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("job_detail", workspace_id=workspace.pk, job_id=job.pk)
    return render(
        request,
        "studio/avatar_new.html",
        {"workspace": workspace, "membership": membership, "form": form, "avatars": avatars},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _avatar_initial(request: HttpRequest, workspace: Any) -> dict[str, Any]:
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
def avatar_voice_preview(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The script spoken by the chosen voice (WAV), to hear before generating."""
    membership = _membership(request, workspace_id)
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot make videos in this workspace.")
    form = VoicePreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "Type a script and choose a voice first."}, status=400)
    data = form.cleaned_data
    try:
        wav = services.avatars.voice_preview(
            script=data["script"], voice=data["voice"], speed=data["speed"]
        )
    except (ValueError, RuntimeError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return HttpResponse(wav, content_type="audio/wav")


# Batches --------------------------------------------------------------------------------------


@require_GET
@login_required
def batch_list(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = _membership(request, workspace_id)
    return render(
        request,
        "studio/batch_list.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "batches": selectors.batch_list_for_workspace(workspace=membership.workspace),
        },
    )


@login_required
def batch_new(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """Pick a template and give a CSV; every row is checked before the batch is stored."""
    membership = _membership(request, workspace_id)
    workspace = membership.workspace
    if not membership.can_edit:
        return HttpResponseForbidden("Viewers cannot make videos in this workspace.")
    templates = selectors.template_list_for_workspace(workspace=workspace)
    initial = {"template": request.GET.get("template")} if request.GET.get("template") else {}
    form = BatchForm(
        request.POST or None,
        request.FILES or None,
        templates=templates,
        avatars=selectors.avatar_list_for_workspace(workspace=workspace),
        initial=initial,
    )
    parsed: batches.ParsedCsv | None = None
    if request.method == "POST" and form.is_valid():
        template = form.cleaned_data["template"]
        text, encoding_error = batches.decode(form.csv_bytes())
        if encoding_error is not None:
            parsed = batches.ParsedCsv(errors=[encoding_error])
        else:
            assert text is not None
            mapping = {f["name"]: request.POST.get(f"map_{f['name']}", "") for f in template.fields}
            parsed = batches.parse(
                text,
                fields=template.fields,
                max_rows=workspace.batch_row_limit,
                mapping=mapping,
            )
            # Show the rows in the text box, so a bad row can be fixed here and checked again.
            data = request.POST.copy()
            data["csv_text"] = text
            form.data = data
        if parsed.ok:
            upload = form.cleaned_data.get("csv")
            image = None
            if form.cleaned_data.get("image"):
                image = services.uploads.asset_create(
                    workspace=workspace,
                    user=request.user,  # type: ignore[arg-type]
                    upload=form.cleaned_data["image"].upload,
                    image=form.cleaned_data["image"].image,
                )
            if template.mode == Template.Mode.AVATAR:
                image = form.cleaned_data["avatar"].image  # the presenter's portrait
            batch = services.batches.batch_create(
                workspace=workspace,
                user=request.user,  # type: ignore[arg-type]
                template=template,
                parsed=parsed,
                csv_name=upload.name if upload is not None and upload.name else "pasted rows",
                filename_column=form.cleaned_data.get("filename_column", ""),
                image=image,
            )
            return redirect("batch_detail", workspace_id=workspace.pk, batch_id=batch.pk)
    return render(
        request,
        "studio/batch_new.html",
        {
            "workspace": workspace,
            "membership": membership,
            "form": form,
            "parsed": parsed,
            "template": form.cleaned_data.get("template")
            if form.is_bound and form.is_valid()
            else None,
            "limit": workspace.batch_row_limit,
        },
        status=400 if form.is_bound else 200,
    )


@require_GET
@login_required
def batch_detail(request: HttpRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    """A draft's preview and estimate with the Launch button; a launched batch's progress."""
    membership = _membership(request, workspace_id)
    batch = selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)
    rows = list(selectors.batch_rows(batch=batch))
    generations = selectors.batch_generations(batch=batch)
    preview: dict[str, Any] | None = None
    if rows:
        try:
            params, overlays = services.templates.template_params(
                template=batch.template, values=rows[0].values
            )
            preview = {
                "row": rows[0].number,
                "prompt": params.prompt,
                "overlays": overlays,
                "stills": previews.overlay_preview(
                    template=batch.template,
                    filled=overlays,
                    workspace=batch.workspace,
                    image=batch.image,
                )
                if batch.status == Batch.Status.DRAFT
                else [],
            }
        except (ValidationError, EngineUnavailable) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            preview = {"row": rows[0].number, "error": message}
    return render(
        request,
        "studio/batch_detail.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "batch": batch,
            "rows": rows,
            "preview": preview,
            "progress": selectors.batch_progress(batch=batch),
            "generations": generations,
            "estimate": selectors.batch_estimate_seconds(
                template=batch.template, generations=generations
            ),
            "filename_column": request.GET.get("name", batch.filename_column),
        },
    )


def _batch_for_edit(request: HttpRequest, workspace_id: int, batch_id: int) -> Batch | None:
    """The batch, for a member who may change it; None for a viewer (404 for anyone else)."""
    membership = _membership(request, workspace_id)
    batch = selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)
    return batch if membership.can_edit else None


@require_POST
@login_required
def batch_launch(request: HttpRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    batch = _batch_for_edit(request, workspace_id, batch_id)
    if batch is None:
        return HttpResponseForbidden("Viewers cannot launch batches.")
    try:
        services.batches.batch_launch(batch=batch, user=request.user)  # type: ignore[arg-type]
    except (ValueError, EngineUnavailable) as exc:
        messages.error(request, str(exc))
    return redirect("batch_detail", workspace_id=workspace_id, batch_id=batch_id)


@require_POST
@login_required
def batch_retry(request: HttpRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    batch = _batch_for_edit(request, workspace_id, batch_id)
    if batch is None:
        return HttpResponseForbidden("Viewers cannot retry rows.")
    try:
        retried = services.batches.batch_retry_failed(batch=batch, user=request.user)  # type: ignore[arg-type]
    except (ValueError, EngineUnavailable) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{len(retried)} failed row{'s' if len(retried) != 1 else ''} queued again."
        )
    return redirect("batch_detail", workspace_id=workspace_id, batch_id=batch_id)


@require_POST
@login_required
def batch_cancel(request: HttpRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    batch = _batch_for_edit(request, workspace_id, batch_id)
    if batch is None:
        return HttpResponseForbidden("Viewers cannot cancel batches.")
    cancelled = services.batches.batch_cancel(batch=batch)
    messages.success(
        request, f"{cancelled} unfinished row{'s' if cancelled != 1 else ''} cancelled."
    )
    return redirect("batch_detail", workspace_id=workspace_id, batch_id=batch_id)


@require_GET
@login_required
def batch_results(request: HttpRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    """The results CSV: row, status, link, error."""
    membership = _membership(request, workspace_id)
    batch = selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)
    response = HttpResponse(_results_csv(request, batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-results.csv"'
    return response


def _results_csv(request: HttpRequest, batch: Batch) -> str:
    def link(job: Job) -> str:
        return request.build_absolute_uri(
            reverse("job_detail", kwargs={"workspace_id": job.workspace_id, "job_id": job.pk})
        )

    return exports.batch_results_csv(batch=batch, link_for=link)


@require_GET
@login_required
def batch_zip(request: HttpRequest, workspace_id: int, batch_id: int) -> HttpResponseBase:
    """A ZIP of the finished videos, named from the column the user picked (?name=)."""
    membership = _membership(request, workspace_id)
    batch = selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)
    column = request.GET.get("name", batch.filename_column)
    archive = exports.batch_zip(
        batch=batch,
        filename_column=column if column in batch.columns else "",
        results_csv=_results_csv(request, batch),
    )
    return FileResponse(archive, as_attachment=True, filename=f"batch-{batch.pk}-videos.zip")
