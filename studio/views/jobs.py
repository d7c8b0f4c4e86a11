"""Jobs: the dashboard, the prompt editor, a job's page and state, cancel, re-run, the gallery."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from generation import exports, limits
from generation.engines import default_engine
from studio import ratelimits, selectors, services
from studio.engines import engine_list, engine_settings
from studio.forms.exports import ExportForm
from studio.forms.jobs import JobForm
from studio.forms.sharing import ReviewCommentForm, ReviewStateForm, ShareLinkForm
from studio.forms.styles import BoardAddForm, BoardForm
from studio.models import Job, Membership, Video
from studio.params import SIZES
from studio.views.access import MAKING_REFUSED, AuthenticatedRequest, member_of
from studio.views.sharing import share_urls

GALLERY_PAGE_SIZE = 24
# What the gallery's "kind" filter offers: every mode that makes a video (a storyboard's
# scenes are parts of its video, never listed).
GALLERY_KINDS = [mode for mode in Job.Mode.values if mode != Job.Mode.STORYBOARD_SCENE]


@require_GET
@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """The current workspace's dashboard (the last one visited, else the user's first)."""
    workspace_id = request.session.get("workspace_id")
    if not workspace_id or not selectors.is_member(user=request.user, workspace_id=workspace_id):
        workspace_id = services.workspaces.workspace_ensure_personal(user=request.user).pk
    return workspace_dashboard(request, workspace_id)


@require_GET
@login_required
def workspace_dashboard(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id)
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
            # Quotas are the owners' business: only they see the workspace's usage.
            "usage": selectors.workspace_usage(workspace=workspace)
            if membership.role == Membership.Role.OWNER
            else None,
        },
    )


@login_required
def job_new(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id, editing=MAKING_REFUSED)
    workspace = membership.workspace
    engines = engine_list()
    projects = selectors.project_list_for_workspace(workspace=workspace)
    form = JobForm(
        request.POST or None,
        request.FILES or None,
        engines=engines,
        projects=projects,
        style_loras=selectors.style_lora_list_for_workspace(workspace=workspace),
        styles=selectors.style_list_for_workspace(workspace=workspace),
        initial=_initial_from(request, workspace),
    )
    submitting = request.method == "POST" and form.is_valid()
    # Counted only once the form is valid, and before anything (an upload) is stored.
    wait = ratelimits.wait_for(request, "jobs") if submitting else None
    if submitting and wait is None:
        try:
            job = _submit(request, form, membership)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("job_detail", workspace_id=workspace.pk, job_id=job.pk)
    settings = engine_settings()
    response = render(
        request,
        "studio/job_new.html",
        {
            "workspace": workspace,
            "membership": membership,
            "form": form,
            "engines": engines,
            "sizes": SIZES,
            "limits": limits.for_page(),
            "recommended": {e.name: e.recommended.for_page() for e in engines},
            "no_text_to_video": default_engine("text-to-video", settings) is None,
            "throttled": ratelimits.too_many("jobs", wait) if wait else "",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
    return ratelimits.refused(response, wait) if wait else response


def _initial_from(request: AuthenticatedRequest, workspace: Any) -> dict[str, Any]:
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
        "style": job.style.get("name", ""),
        "motion": job.motion,
        "interpolate": job.interpolate,
        "upscale": job.upscale,
        "num_frames": job.num_frames,
        "fps": job.fps,
        "steps": job.steps,
        "guidance": job.guidance,
        "project": job.project_id,
        **(
            {"voiceover": job.script, "voice": job.voice, "speed": str(job.speed)}
            | {"captions": job.captions}
            if job.script and job.mode != Job.Mode.AVATAR
            else {}
        ),
        "style_lora": job.style_lora_id,
        "style_lora_strength": job.style_lora_strength,
    }


def _submit(request: AuthenticatedRequest, form: JobForm, membership: Membership) -> Job:
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
            user=request.user,
            upload=data["image"].upload,
            image=data["image"].image,
        )
    return services.jobs.job_submit(
        workspace=workspace,
        user=request.user,
        params=form.to_params(),
        image=image,
        project=project,
    )


@require_GET
@login_required
def job_detail(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    return render_job_page(request, workspace_id, job_id)


def render_job_page(
    request: AuthenticatedRequest,
    workspace_id: int,
    job_id: int,
    *,
    throttled: str = "",
    comment_form: ReviewCommentForm | None = None,
    export_form: ExportForm | None = None,
    status: int = 200,
    board_form: BoardAddForm | None = None,
) -> HttpResponse:
    """The job page; a refused action renders it again with its message or form."""
    membership = member_of(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video = getattr(job, "video", None) if job.status == Job.Status.SUCCEEDED else None
    variants = selectors.job_variants(job=job)
    return render(
        request,
        "studio/job_detail.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "job": job,
            "variants": variants,
            "state": selectors.job_state(job),
            "prompt_reading": selectors.job_prompt_reading(job),
            "video": video,
            "throttled": throttled,
            **(_sharing_and_review(request, video, variants, comment_form) if video else {}),
            **(_exports(video, export_form) if video else {}),
            **(_boards(membership, video, board_form) if video else {}),
        },
        status=status,
    )


def _exports(video: Video, export_form: ExportForm | None) -> dict[str, Any]:
    """The video's exports, with their names, and the form that asks for another."""
    made = selectors.export_list(video=video)
    rows = [
        {
            "export": e,
            "label": exports.KINDS.get(e.kind, e.kind),
            "reframe": exports.REFRAMES.get(e.reframe, "").lower(),
        }
        for e in made
    ]
    return {
        "export_rows": rows,
        "export_form": export_form or ExportForm(initial={"kind": "tiktok", "reframe": "blur"}),
        "platforms": list(exports.PLATFORMS.values()),
        "export_pending": any(e.finished_at is None for e in made),
    }


def _boards(
    membership: Membership, video: Video, board_form: BoardAddForm | None
) -> dict[str, Any]:
    boards = selectors.board_list_for_workspace(workspace=membership.workspace)
    listed = list(boards)
    # Most workspaces have no boards yet: then nothing more is asked of the database.
    on = set(selectors.board_ids_for_video(video=video)) if listed else set()
    addable = boards.exclude(pk__in=on) if listed else boards.none()
    return {
        "video_boards": [b for b in listed if b.pk in on],
        "board_add_form": board_form or BoardAddForm(boards=addable),
    }


def _sharing_and_review(
    request: AuthenticatedRequest,
    video: Video,
    variants: list[Job],
    comment_form: ReviewCommentForm | None,
) -> dict[str, Any]:
    links = selectors.share_link_list(video=video)
    shared = request.GET.get("shared", "")
    for link in links:
        link.urls = share_urls(request, link)  # type: ignore[attr-defined]
        link.just_made = str(link.pk) == shared  # type: ignore[attr-defined]
    comments = list(selectors.review_comment_list(video=video))
    return {
        "share_form": ShareLinkForm(),
        "share_links": links,
        # Plays are counted through links only: a video never shared has none to count.
        "share_stats": selectors.share_stats(video=video) if links else selectors.ShareStats([]),
        "variant_plays": selectors.share_plays_by_variant(variants=variants) if variants else [],
        "comments": comments,
        "comment_form": comment_form or ReviewCommentForm(video=video, initial={"at_seconds": 0}),
        "review_form": ReviewStateForm(initial={"state": video.review_state}),
        "review_marks": [
            {"comment": c, "percent": 100 * c.at_seconds / video.duration if video.duration else 0}
            for c in comments
        ],
    }


@require_GET
@login_required
def job_state(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> JsonResponse:
    """The job's state as JSON: the WebSocket snapshot, for clients that poll."""
    membership = member_of(request, workspace_id)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    return JsonResponse(selectors.job_state(job))


@require_POST
@login_required
def job_cancel(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id, editing="Viewers cannot cancel jobs.")
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    services.jobs.job_cancel(job=job)
    return redirect("job_detail", workspace_id=workspace_id, job_id=job.pk)


@require_POST
@login_required
def job_rerun(request: AuthenticatedRequest, workspace_id: int, job_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id, editing=MAKING_REFUSED)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    wait = ratelimits.wait_for(request, "jobs")
    if wait is not None:
        page = render_job_page(
            request, workspace_id, job_id, throttled=ratelimits.too_many("jobs", wait)
        )
        return ratelimits.refused(page, wait)
    try:
        new_job = services.jobs.job_rerun(
            job=job,
            user=request.user,
            same_seed=request.POST.get("seed") != "new",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("job_detail", workspace_id=workspace_id, job_id=job.pk)
    return redirect("job_detail", workspace_id=workspace_id, job_id=new_job.pk)


@require_GET
@login_required
def gallery(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    return render_gallery(request, workspace_id)


def render_gallery(
    request: AuthenticatedRequest, workspace_id: int, *, board_form: BoardForm | None = None
) -> HttpResponse:
    """The gallery with its search and filters; a refused new board shows it again, 400."""
    membership = member_of(request, workspace_id)
    workspace = membership.workspace
    project = request.GET.get("project", "")
    engine = request.GET.get("engine", "")
    status = request.GET.get("status", "")
    review = request.GET.get("review", "")
    kind = request.GET.get("kind", "")
    kinds = [(value, label) for value, label in Job.Mode.choices if value in GALLERY_KINDS]
    search = request.GET.get("q", "")[: selectors.MAX_SEARCH_CHARS]
    board = request.GET.get("board", "")
    boards = selectors.board_list_for_workspace(workspace=workspace)
    jobs = selectors.job_list_for_workspace(
        workspace=workspace,
        mode=kind if kind in GALLERY_KINDS else "",
        project_id=int(project) if project.isdigit() else None,
        engine=engine,
        status=status if status in Job.Status.values else "",
        review_state=review if review in Video.ReviewState.values else "",
        search=search,
        board_id=int(board) if board.isdigit() else None,
    )
    page = Paginator(jobs, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {"q": search, "project": project, "engine": engine, "status": status}
    filters |= {"review": review, "board": board, "kind": kind}
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
            "review_states": Video.ReviewState.choices,
            "kinds": kinds,
            "boards": boards,
            "board_form": board_form or BoardForm(),
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
        },
        status=400 if board_form is not None else 200,
    )
