"""Batches through the API: a template and rows (a CSV file or JSON objects), checked row by
row in the page's words ("Row 4: ..."), then launched; status, results CSV and the ZIP."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio import batches, exports, selectors, services
from studio.api.access import api_member
from studio.api.idempotency import idempotent
from studio.api.jobs import IDEMPOTENCY_HEADER, throttle
from studio.api.serializers import (
    ArchiveSerializer,
    BatchCreateSerializer,
    BatchSerializer,
    ZipSerializer,
)
from studio.api.templates import asset_named
from studio.models import Batch, BatchArchive, Job, Template
from studio.views.access import MAKING_REFUSED


def _batch(request: Request, batch_id: int, *, editing: str | None = None) -> Batch:
    membership = api_member(request, editing=editing)
    return selectors.batch_get(workspace=membership.workspace, batch_id=batch_id)


def _answer(request: Request, batch: Batch, *, status: int = 200) -> Response:
    batch = selectors.batch_get(workspace=batch.workspace, batch_id=batch.pk)
    return Response(BatchSerializer(batch, context={"request": request}).data, status=status)


def rows_as_csv(rows: Any) -> str:
    """JSON rows (objects, column -> value) as the CSV the page reads: the columns in the
    order they first appear, a missing value blank."""
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise exceptions.ValidationError({"rows": ["Send the rows as a list of objects."]})
    header: list[str] = []
    for row in rows:
        header += [str(name) for name in row if str(name) not in header]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else str(row.get(name)) for name in header])
    return out.getvalue()


class BatchListView(APIView):
    @extend_schema(summary="The workspace's batches", responses=BatchSerializer(many=True))
    def get(self, request: Request) -> Response:
        membership = api_member(request)
        found = selectors.batch_list_for_workspace(workspace=membership.workspace)
        return Response(BatchSerializer(found, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Check rows against a template and keep them as a draft batch",
        request={
            "application/json": BatchCreateSerializer,
            "multipart/form-data": BatchCreateSerializer,
        },
        responses={201: BatchSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        membership = api_member(request, editing=MAKING_REFUSED)
        workspace = membership.workspace
        named = request.data.get("template")
        templates = selectors.template_list_for_workspace(workspace=workspace)
        template = templates.filter(pk=named).first() if str(named).isdigit() else None
        if template is None:
            raise exceptions.ValidationError({"template": ["No template here has that id."]})
        upload = request.FILES.get("csv")
        if upload is not None:
            data, csv_name = upload.read(), upload.name or "rows.csv"
        elif request.data.get("rows") is not None:
            data, csv_name = rows_as_csv(request.data.get("rows")).encode(), "rows sent to the API"
        else:
            raise exceptions.ValidationError({"csv": ["Upload a CSV or send its rows."]})
        text, encoding_error = batches.decode(data)
        if encoding_error is not None:
            raise exceptions.ValidationError({"csv": [str(encoding_error)]})
        assert text is not None
        parsed = batches.parse(text, fields=template.fields, max_rows=workspace.batch_row_limit)
        if not parsed.ok:
            raise exceptions.ValidationError({"csv": [str(error) for error in parsed.errors]})
        image = asset_named(request, workspace)
        presenter = None
        if template.mode == Template.Mode.AVATAR and request.data.get("avatar") is not None:
            avatars = selectors.avatar_list_for_workspace(workspace=workspace)
            named_avatar = str(request.data.get("avatar"))
            presenter = avatars.filter(pk=named_avatar).first() if named_avatar.isdigit() else None
        batch = services.batches.batch_create(
            workspace=workspace,
            user=request.user,
            template=template,
            parsed=parsed,
            csv_name=csv_name,
            filename_column=str(request.data.get("filename_column") or ""),
            image=image,
            presenter=presenter,
        )
        return _answer(request, batch, status=201)


class BatchDetailView(APIView):
    @extend_schema(summary="A batch: its rows' progress", responses=BatchSerializer)
    def get(self, request: Request, batch_id: int) -> Response:
        return _answer(request, _batch(request, batch_id))


class BatchLaunchView(APIView):
    @extend_schema(
        summary="Launch a draft batch: one job per row", request=None, responses=BatchSerializer
    )
    def post(self, request: Request, batch_id: int) -> Response:
        batch = _batch(request, batch_id, editing="Viewers cannot launch batches.")
        throttle(request, "batches")
        return _answer(request, services.batches.batch_launch(batch=batch, user=request.user))


class BatchCancelView(APIView):
    @extend_schema(
        summary="Cancel a batch's unfinished rows", request=None, responses=BatchSerializer
    )
    def post(self, request: Request, batch_id: int) -> Response:
        batch = _batch(request, batch_id, editing="Viewers cannot cancel batches.")
        services.batches.batch_cancel(batch=batch)
        return _answer(request, batch)


class BatchResultsView(APIView):
    @extend_schema(
        summary="The results CSV: row, status, link, error",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request, batch_id: int) -> HttpResponse:
        batch = _batch(request, batch_id)

        def link(job: Job) -> str:
            return request.build_absolute_uri(reverse("api:job-detail", kwargs={"job_id": job.pk}))

        response = HttpResponse(
            exports.batch_results_csv(batch=batch, link_for=link),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-results.csv"'
        return response


class BatchZipView(APIView):
    """The ZIP of a batch's finished videos: POST asks a worker to make it, GET downloads it."""

    @extend_schema(
        summary="Download the ZIP once it is made (?name= the column)",
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, batch_id: int) -> HttpResponseBase:
        batch = _batch(request, batch_id)
        column = request.query_params.get("name", batch.filename_column)
        archive = selectors.batch_archive_ready(
            batch=batch, filename_column=column if column in batch.columns else ""
        )
        if archive is None:
            raise Http404
        if not hasattr(default_storage, "path"):  # S3: a short-lived signed URL
            return HttpResponseRedirect(archive.file.url)
        return FileResponse(
            archive.file.open("rb"), as_attachment=True, filename=f"batch-{batch.pk}-videos.zip"
        )

    @extend_schema(
        summary="Have a worker make the ZIP of the videos finished so far",
        request=ZipSerializer,
        responses={202: ArchiveSerializer},
    )
    def post(self, request: Request, batch_id: int) -> Response:
        batch = _batch(request, batch_id, editing="Viewers cannot make the ZIP of a batch.")
        column = str(request.data.get("name", batch.filename_column) or "")
        archive = services.batches.batch_archive_request(
            batch=batch,
            user=request.user,
            filename_column=column,
            links_base=request.build_absolute_uri("/"),
        )
        ready = archive.status == BatchArchive.Status.READY
        download = reverse("api:batch-zip", kwargs={"batch_id": batch.pk}) + (
            f"?name={column}" if column else ""
        )
        return Response(
            {
                "id": archive.pk,
                "status": archive.status,
                "video_count": archive.video_count,
                "error": archive.error,
                "download": request.build_absolute_uri(download) if ready else None,
            },
            status=202,
        )
