"""A video's exports: ask for one (editors), follow its state, download it (members)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio import selectors, services
from studio.forms.exports import ExportForm
from studio.models import Export, Job, Membership, Video
from studio.views.access import AuthenticatedRequest, member_of
from studio.views.jobs import render_job_page

EXPORT_REFUSED = "Viewers cannot export videos."


def _video(membership: Membership, job_id: int) -> Video:
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video = getattr(job, "video", None)
    if video is None or job.status != Job.Status.SUCCEEDED:
        raise Http404
    return video


@require_POST
@login_required
def export_create(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    """Have a worker make the video in the form asked for; a refusal is shown by the field."""
    membership = member_of(request, workspace_id, editing=EXPORT_REFUSED)
    video = _video(membership, job_id)
    form = ExportForm(request.POST)
    if form.is_valid():
        try:
            services.exports.export_request(
                video=video,
                user=request.user,
                kind=form.cleaned_data["kind"],
                reframe=form.cleaned_data["reframe"],
            )
        except ValidationError as exc:
            field = "reframe" if exc.code == "unknown_reframe" else "kind"
            form.add_error(field, exc)
        else:
            url = reverse("job_detail", kwargs={"workspace_id": workspace_id, "job_id": job_id})
            return redirect(f"{url}#exports")
    return render_job_page(request, workspace_id, job_id, export_form=form, status=400)


@require_GET
@login_required
def export_states(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> JsonResponse:
    """The video's exports and their states, for the page to follow them."""
    membership = member_of(request, workspace_id)
    video = _video(membership, job_id)
    return JsonResponse({"exports": [_state(e) for e in selectors.export_list(video=video)]})


@require_GET
@login_required
def export_download(
    request: AuthenticatedRequest, workspace_id: int, job_id: int, export_id: int
) -> HttpResponseBase:
    membership = member_of(request, workspace_id)
    export = selectors.export_get(video=_video(membership, job_id), export_id=export_id)
    if export.status != Export.Status.READY or not export.file:
        raise Http404
    if not hasattr(default_storage, "path"):  # S3: a short-lived signed URL
        return HttpResponseRedirect(export.file.url)
    filename = Path(export.file.name).name
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=filename)


def _state(export: Export) -> dict[str, object]:
    ready = export.status == Export.Status.READY
    url = (
        reverse(
            "export_download",
            kwargs={
                "workspace_id": export.video.workspace_id,
                "job_id": export.video.job_id,
                "export_id": export.pk,
            },
        )
        if ready
        else ""
    )
    return {
        "id": export.pk,
        "status": export.status,
        "width": export.width,
        "height": export.height,
        "size_bytes": export.size_bytes,
        "notes": export.notes,
        "error": export.error,
        "download": url,
        "file": reverse("file", kwargs={"name": export.file.name}) if ready else "",
        "kind": export.kind,
    }
