"""The template library: browse, fill and make, edit, and save a job as a template."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from studio import ratelimits, selectors, services
from studio.engines import engine_presets, voice_list
from studio.forms.templates import TemplateEditForm, TemplateFillForm, TemplateSaveForm
from studio.models import Job, Membership, Template
from studio.params import style_of
from studio.views.access import MAKING_REFUSED, AuthenticatedRequest, member_of


@require_GET
@login_required
def template_library(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The workspace's templates and the built-in ones, filtered by kind and aspect ratio."""
    membership = member_of(request, workspace_id)
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
def template_use(
    request: AuthenticatedRequest, workspace_id: int, template_id: int
) -> HttpResponse:
    """Fill a template's fields and make the video it describes."""
    editing = MAKING_REFUSED
    membership = member_of(
        request, workspace_id, editing=editing if request.method == "POST" else None
    )
    workspace = membership.workspace
    template = selectors.template_get(workspace=workspace, template_id=template_id)
    if template.mode == Template.Mode.STORYBOARD:
        return _storyboard_template_page(request, membership, template)
    form = TemplateFillForm(
        request.POST or None,
        request.FILES or None,
        template=template,
        avatars=selectors.avatar_list_for_workspace(workspace=workspace),
    )
    submitting = request.method == "POST" and form.is_valid()
    # Counted only once the form is valid, and before anything (an upload) is stored.
    wait = ratelimits.wait_for(request, "jobs") if submitting else None
    if submitting and wait is None:
        try:
            job = _submit_template(request, form, membership)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect("job_detail", workspace_id=workspace.pk, job_id=job.pk)
    response = render(
        request,
        "studio/template_use.html",
        {
            "workspace": workspace,
            "membership": membership,
            "template": template,
            "form": form,
            "throttled": ratelimits.too_many("jobs", wait) if wait else "",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
    return ratelimits.refused(response, wait) if wait else response


def _storyboard_template_page(
    request: AuthenticatedRequest, membership: Membership, template: Template
) -> HttpResponse:
    """A storyboard template: its scenes and the placeholders each uses; it is made in
    batches (a CSV's rows fill it), so the page leads to the batch form."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return render(
        request,
        "studio/storyboard_template.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "template": template,
            "scenes": services.storyboard_batches.template_scene_summary(template=template),
        },
    )


def _submit_template(
    request: AuthenticatedRequest, form: TemplateFillForm, membership: Membership
) -> Job:
    template = form.template
    # Check the values before storing the upload, so a bad row leaves nothing behind.
    services.templates.template_params(template=template, values=form.values())
    image = None
    if form.cleaned_data.get("image"):
        image = services.uploads.asset_create(
            workspace=membership.workspace,
            user=request.user,
            upload=form.cleaned_data["image"].upload,
            image=form.cleaned_data["image"].image,
        )
    return services.templates.template_submit(
        template=template,
        workspace=membership.workspace,
        user=request.user,
        values=form.values(),
        image=image,
        variants=form.cleaned_data.get("variants") or 1,
        avatar=form.cleaned_data.get("avatar"),
    )


# The edit form's field each refusal of template_update is about.
_FIELD_OF_CODE = {
    "voice_unavailable": "voice",
    "bad_speed": "speed",
    "unknown_style": "style",
    "lora_unknown": "style_lora",
    "lora_unfit": "style_lora",
}


@login_required
def template_edit(
    request: AuthenticatedRequest, workspace_id: int, template_id: int
) -> HttpResponse:
    """Edit one of the workspace's own templates (built-in ones are read-only)."""
    membership = member_of(request, workspace_id, editing="Viewers cannot edit templates.")
    template = selectors.template_get(workspace=membership.workspace, template_id=template_id)
    if template.is_builtin:
        raise Http404
    if template.mode == Template.Mode.STORYBOARD:
        messages.info(request, "Edit its storyboard and save it as a template again.")
        return redirect("template_use", workspace_id=workspace_id, template_id=template.pk)
    form = TemplateEditForm(
        request.POST or None,
        initial=TemplateEditForm.initial_for(template),
        template_fields=template.fields,
        presets=engine_presets(template.engine),
        current_preset=template.preset,
        voices=voice_list() if template.mode == Template.Mode.AVATAR else None,
        styles=selectors.style_list_for_workspace(workspace=membership.workspace),
        current_style=style_of(template.style),
        style_loras=selectors.style_lora_list_for_workspace(workspace=membership.workspace),
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
                style=form.style_choice(),
                voice=voice,
                speed=speed,
                style_lora=form.style_lora_choice(),
            )
        except ValidationError as exc:
            # The error goes next to its field where the form has one.
            field = _FIELD_OF_CODE.get(exc.code or "")
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
def template_save_from_job(
    request: AuthenticatedRequest, workspace_id: int, job_id: int
) -> HttpResponse:
    """Save as template: a finished job's recipe becomes a template of the workspace."""
    membership = member_of(request, workspace_id, editing="Viewers cannot save templates.")
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    form = TemplateSaveForm(request.POST)
    if job.status != Job.Status.SUCCEEDED or not form.is_valid():
        messages.error(request, "Only a finished video can be saved as a template, with a name.")
        return redirect("job_detail", workspace_id=workspace_id, job_id=job.pk)
    try:
        template = services.templates.template_create_from_job(
            job=job,
            user=request.user,
            name=form.cleaned_data["name"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("job_detail", workspace_id=workspace_id, job_id=job.pk)
    return redirect("template_edit", workspace_id=workspace_id, template_id=template.pk)
