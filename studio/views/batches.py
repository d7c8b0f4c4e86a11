"""Batches: a template and a CSV, the draft's preview and estimate, launch, retry, cancel,
the results CSV and the ZIP of videos.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio import batches, exports, previews, ratelimits, selectors, services
from studio.forms.batches import BatchForm
from studio.models import Batch, Job, Template
from studio.views.access import MAKING_REFUSED, AuthenticatedRequest, member_of


@require_GET
@login_required
def batch_list(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id)
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
def batch_new(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """Pick a template and give a CSV; every row is checked before the batch is stored."""
    membership = member_of(request, workspace_id, editing=MAKING_REFUSED)
    workspace = membership.workspace
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
                    user=request.user,
                    upload=form.cleaned_data["image"].upload,
                    image=form.cleaned_data["image"].image,
                )
            batch = services.batches.batch_create(
                workspace=workspace,
                user=request.user,
                template=template,
                parsed=parsed,
                csv_name=upload.name if upload is not None and upload.name else "pasted rows",
                filename_column=form.cleaned_data.get("filename_column", ""),
                image=image,
                presenter=form.cleaned_data.get("avatar")
                if template.mode == Template.Mode.AVATAR
                else None,
                aspects=form.cleaned_data.get("aspects") or [],
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
def batch_detail(request: AuthenticatedRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    """A draft's preview and estimate with the Launch button; a launched batch's progress."""
    return _batch_page(request, workspace_id, batch_id)


def _batch_page(
    request: AuthenticatedRequest, workspace_id: int, batch_id: int, *, throttled: str = ""
) -> HttpResponse:
    membership = member_of(request, workspace_id)
    batch = selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)
    rows = list(selectors.batch_rows(batch=batch))
    generations = selectors.batch_generations(batch=batch)
    column = _zip_column(request, batch)
    preview: dict[str, Any] | None = None
    storyboard: dict[str, Any] = {}
    if batch.template.mode == Template.Mode.STORYBOARD:
        storyboard = _storyboard_batch(batch, rows)
    elif rows:
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
                    presenter=batch.presenter,
                )
                if batch.status == Batch.Status.DRAFT
                else [],
            }
        except ValidationError as exc:
            preview = {"row": rows[0].number, "error": " ".join(exc.messages)}
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
            "filename_column": column,
            "ready_videos": selectors.batch_ready_videos(batch=batch),
            "archive": selectors.batch_archive_latest(batch=batch, filename_column=column),
            "archive_ready": selectors.batch_archive_ready(batch=batch, filename_column=column),
            "throttled": throttled,
            "storyboard": storyboard,
        },
    )


def _storyboard_batch(batch: Batch, rows: list[Any]) -> dict[str, Any]:
    """A storyboard batch's page: a draft's first row filled and the scene renders it needs
    against one per row and scene; a launched one's progress per row."""
    if batch.status != Batch.Status.DRAFT:
        return {"states": selectors.batch_render_states(batch=batch)}
    context: dict[str, Any] = {}
    try:
        context["plan"] = services.storyboard_batches.storyboard_batch_plan(batch=batch)
        if rows:
            _, scenes = services.storyboard_batches.template_storyboard(
                template=batch.template, values=rows[0].values
            )
            context["row"] = rows[0].number
            context["scenes"] = scenes
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
    return context


def _batch_for_edit(
    request: AuthenticatedRequest, workspace_id: int, batch_id: int, *, refused: str
) -> Batch:
    """The batch, for a member who may change it (403 with ``refused`` for a viewer)."""
    membership = member_of(request, workspace_id, editing=refused)
    return selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)


@require_POST
@login_required
def batch_launch(request: AuthenticatedRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    batch = _batch_for_edit(
        request, workspace_id, batch_id, refused="Viewers cannot launch batches."
    )
    if (wait := ratelimits.wait_for(request, "batches")) is not None:
        return _batch_refused(request, batch, wait)
    try:
        services.batches.batch_launch(batch=batch, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("batch_detail", workspace_id=workspace_id, batch_id=batch_id)


@require_POST
@login_required
def batch_retry(request: AuthenticatedRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    batch = _batch_for_edit(request, workspace_id, batch_id, refused="Viewers cannot retry rows.")
    if (wait := ratelimits.wait_for(request, "batches")) is not None:
        return _batch_refused(request, batch, wait)
    try:
        retried = services.batches.batch_retry_failed(batch=batch, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{len(retried)} failed row{'s' if len(retried) != 1 else ''} queued again."
        )
    return redirect("batch_detail", workspace_id=workspace_id, batch_id=batch_id)


def _batch_refused(request: AuthenticatedRequest, batch: Batch, wait: int) -> HttpResponse:
    """The batch's page, 429, with the refusal next to the Launch or Retry button."""
    page = _batch_page(
        request, batch.workspace_id, batch.pk, throttled=ratelimits.too_many("batches", wait)
    )
    return ratelimits.refused(page, wait)


@require_POST
@login_required
def batch_cancel(request: AuthenticatedRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    batch = _batch_for_edit(
        request, workspace_id, batch_id, refused="Viewers cannot cancel batches."
    )
    cancelled = services.batches.batch_cancel(batch=batch)
    messages.success(
        request, f"{cancelled} unfinished row{'s' if cancelled != 1 else ''} cancelled."
    )
    return redirect("batch_detail", workspace_id=workspace_id, batch_id=batch_id)


@require_GET
@login_required
def batch_results(request: AuthenticatedRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    """The results CSV: row, status, link, error."""
    membership = member_of(request, workspace_id)
    batch = selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)
    response = HttpResponse(_results_csv(request, batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-results.csv"'
    return response


def _results_csv(request: AuthenticatedRequest, batch: Batch) -> str:
    def link(job: Job) -> str:
        return request.build_absolute_uri(
            reverse("job_detail", kwargs={"workspace_id": job.workspace_id, "job_id": job.pk})
        )

    return exports.batch_results_csv(batch=batch, link_for=link)


@require_GET
@login_required
def batch_zip(request: AuthenticatedRequest, workspace_id: int, batch_id: int) -> HttpResponseBase:
    """The stored ZIP of the finished videos, named after the column picked (?name=)."""
    membership = member_of(request, workspace_id)
    batch = selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)
    column = _zip_column(request, batch)
    archive = selectors.batch_archive_ready(batch=batch, filename_column=column)
    if archive is None:
        messages.error(request, "That ZIP is not made yet.")
        return redirect(_detail_url(batch, column))
    filename = f"batch-{batch.pk}-videos.zip"
    if not hasattr(default_storage, "path"):  # S3: a short-lived signed URL
        return redirect(archive.file.url)
    return FileResponse(archive.file.open("rb"), as_attachment=True, filename=filename)


@require_POST
@login_required
def batch_zip_make(request: AuthenticatedRequest, workspace_id: int, batch_id: int) -> HttpResponse:
    """Have a worker build the ZIP of the videos finished so far (editors only)."""
    batch = _batch_for_edit(
        request, workspace_id, batch_id, refused="Viewers cannot make the ZIP of a batch."
    )
    column = request.POST.get("name", batch.filename_column)
    try:
        services.batches.batch_archive_request(
            batch=batch,
            user=request.user,
            filename_column=column,
            links_base=request.build_absolute_uri("/"),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_detail_url(batch, column))


def _zip_column(request: AuthenticatedRequest, batch: Batch) -> str:
    column = request.GET.get("name", batch.filename_column)
    return column if column in batch.columns else ""


def _detail_url(batch: Batch, column: str) -> str:
    url = reverse("batch_detail", kwargs={"workspace_id": batch.workspace_id, "batch_id": batch.pk})
    return f"{url}?{urlencode({'name': column})}#downloads" if column else f"{url}#downloads"
