"""Jobs through the API: make one, list them, follow one, cancel, make again, download."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio import ratelimits, selectors, services
from studio.api.access import api_member
from studio.api.idempotency import idempotent
from studio.api.problems import form_invalid
from studio.api.serializers import (
    MODES,
    JobCreateSerializer,
    JobRerunSerializer,
    JobSerializer,
)
from studio.engines import engine_list, voice_list
from studio.forms.avatars import AvatarVideoForm
from studio.forms.jobs import JobApiForm
from studio.models import Job, Membership
from studio.views.access import MAKING_REFUSED
from studio.views.files import serve_stored

# What the list filters by: every mode the API makes, and a storyboard's finished videos (made
# by rendering a storyboard, not by posting a job).
LIST_MODES = MODES | {"storyboard": Job.Mode.STORYBOARD}
# The forms' field names that the API (like the command line) calls otherwise.
API_NAMES = {"num_frames": "frames"}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Send the same key again (within 24 h) to get the first answer, not a second job.",
)


def throttle(request: Request, action: str) -> None:
    """The web's own rate limit on ``action``, counted with the page's: 429 past it."""
    wait = ratelimits.wait_for(request._request, action)
    if wait is not None:
        raise exceptions.Throttled(wait=wait, detail=ratelimits.too_many(action, wait))


def job_answer(request: Request, job: Job, *, status: int = 200) -> Response:
    job = selectors.job_get(workspace=job.workspace, job_id=job.pk)  # with its video
    return Response(JobSerializer(job, context={"request": request}).data, status=status)


class JobListView(GenericAPIView[Job]):
    serializer_class = JobSerializer

    @extend_schema(
        summary="List the workspace's jobs, newest first",
        operation_id="jobs_list",
        responses=JobSerializer(many=True),
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Job.Status.values),
            OpenApiParameter("mode", OpenApiTypes.STR, enum=list(LIST_MODES)),
            OpenApiParameter("batch", OpenApiTypes.INT, description="The jobs of one batch."),
        ],
    )
    def get(self, request: Request) -> Response:
        membership = api_member(request)
        status = request.query_params.get("status", "")
        mode = request.query_params.get("mode", "")
        batch = request.query_params.get("batch", "")
        jobs = selectors.job_list_for_workspace(
            workspace=membership.workspace,
            status=status if status in Job.Status.values else "",
            mode=LIST_MODES.get(mode, ""),
            batch_id=int(batch) if batch.isdigit() else None,
        )
        if (status and status not in Job.Status.values) or (mode and mode not in LIST_MODES):
            jobs = jobs.none()
        page = self.paginate_queryset(jobs)
        serializer = JobSerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary="Make a video",
        request={
            "application/json": JobCreateSerializer,
            "multipart/form-data": JobCreateSerializer,
        },
        responses={201: JobSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        membership = api_member(request, editing=MAKING_REFUSED)
        data = _plain(request)
        if data.get("mode") == "talking-head":
            job = _submit_talking_head(request, membership, data)
        else:
            job = _submit_video(request, membership, data)
        return job_answer(request, job, status=201)


def _plain(request: Request) -> dict[str, Any]:
    """The request's fields as one value each (a multipart form's or a JSON object's)."""
    data = request.data
    if hasattr(data, "dict"):
        return dict(data.dict())
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"__all__": ["Send a JSON object."]})
    return dict(data)


def _submit_video(request: Request, membership: Membership, data: dict[str, Any]) -> Job:
    workspace = membership.workspace
    if "frames" in data:
        data["num_frames"] = data.pop("frames")
    form = JobApiForm(
        {k: v for k, v in data.items() if k != "image"},
        {"image": data["image"]} if "image" in data else None,
        engines=engine_list(),
        assets=selectors.asset_list_for_workspace(workspace=workspace),
        styles=selectors.style_list_for_workspace(workspace=workspace),
        style_loras=selectors.style_lora_list_for_workspace(workspace=workspace),
    )
    if not form.is_valid():
        raise form_invalid(form, names=API_NAMES)
    throttle(request, "jobs")
    image = form.cleaned_data.get("asset")
    if image is None and form.cleaned_data.get("image") is not None:
        image = services.uploads.asset_create(
            workspace=workspace,
            user=request.user,
            upload=form.cleaned_data["image"].upload,
            image=form.cleaned_data["image"].image,
        )
    return services.jobs.job_submit(
        workspace=workspace, user=request.user, params=form.to_params(), image=image
    )


def _submit_talking_head(request: Request, membership: Membership, data: dict[str, Any]) -> Job:
    workspace = membership.workspace
    voices = voice_list()
    speed = data.get("speed", 1.0)
    fields = {
        "avatar": data.get("avatar"),
        "script": data.get("script") or data.get("prompt") or "",
        "voice": data.get("voice") or next((v.name for v in voices if v.available), ""),
        "speed": f"{float(speed):.1f}" if isinstance(speed, int | float) else speed,
        "captions": data.get("captions") or "file",
        "aspect": data.get("aspect") or "1:1",
        "seed": data.get("seed"),
    }
    form = AvatarVideoForm(
        {k: v for k, v in fields.items() if v is not None},
        avatars=selectors.avatar_list_for_workspace(workspace=workspace),
        voices=voices,
    )
    if not form.is_valid():
        raise form_invalid(form)
    throttle(request, "jobs")
    return services.avatars.avatar_job_submit(
        workspace=workspace,
        user=request.user,
        avatar=form.cleaned_data["avatar"],
        params=form.to_params(),
    )


class JobDetailView(APIView):
    @extend_schema(
        summary="A job: its status, progress, timings, parameters and video",
        responses=JobSerializer,
    )
    def get(self, request: Request, job_id: int) -> Response:
        membership = api_member(request)
        return job_answer(request, selectors.job_get(workspace=membership.workspace, job_id=job_id))


class JobCancelView(APIView):
    @extend_schema(summary="Cancel a job", request=None, responses=JobSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        membership = api_member(request, editing="Viewers cannot cancel jobs.")
        job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
        return job_answer(request, services.jobs.job_cancel(job=job))


class JobRerunView(APIView):
    @extend_schema(
        summary="Make a job again, with the same seed or a new one",
        request=JobRerunSerializer,
        responses={201: JobSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request, job_id: int) -> Response:
        membership = api_member(request, editing=MAKING_REFUSED)
        job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
        choice = JobRerunSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        throttle(request, "jobs")
        new_job = services.jobs.job_rerun(
            job=job, user=request.user, same_seed=choice.validated_data["seed"] == "same"
        )
        return job_answer(request, new_job, status=201)


class JobFileView(APIView):
    """A succeeded job's MP4 or poster, for the same token (byte ranges honoured)."""

    kind = "mp4"

    @extend_schema(
        summary="Download the video's file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, job_id: int) -> HttpResponseBase:
        membership = api_member(request)
        job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
        video = getattr(job, "video", None)
        if video is None or job.status != Job.Status.SUCCEEDED:
            raise Http404
        name = video.file.name if self.kind == "mp4" else video.poster.name
        response = serve_stored(request._request, name)
        if self.kind == "mp4":
            response["Content-Disposition"] = f'attachment; filename="reelsmith-{job.pk}.mp4"'
        return response
