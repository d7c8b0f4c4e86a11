"""Templates through the API: the library, a template's fields, and filling one in."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio import selectors, services
from studio.api.access import api_member
from studio.api.idempotency import idempotent
from studio.api.jobs import IDEMPOTENCY_HEADER, throttle
from studio.api.problems import form_invalid, invalid
from studio.api.serializers import (
    JobSerializer,
    JobsSerializer,
    TemplateFillSerializer,
    TemplateSerializer,
)
from studio.forms.templates import TemplateFillForm
from studio.models import Asset, Job, Workspace
from studio.views.access import MAKING_REFUSED

NO_SUCH_ASSET = "No uploaded image of this workspace has that id."


def asset_named(request: Request, workspace: Workspace) -> Asset | None:
    """The uploaded image the request names by id (``asset``), if it names one."""
    named = request.data.get("asset")
    if named is None or named == "":
        return None
    asset = (
        selectors.asset_list_for_workspace(workspace=workspace).filter(pk=named).first()
        if str(named).isdigit()
        else None
    )
    if asset is None:
        raise exceptions.ValidationError({"asset": [NO_SUCH_ASSET]})
    return asset


class TemplateListView(APIView):
    @extend_schema(
        summary="The workspace's templates and the built-in ones",
        responses=TemplateSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        membership = api_member(request)
        templates = selectors.template_list_for_workspace(workspace=membership.workspace)
        return Response(TemplateSerializer(templates, many=True).data)


class TemplateDetailView(APIView):
    @extend_schema(summary="A template and the fields it asks for", responses=TemplateSerializer)
    def get(self, request: Request, template_id: int) -> Response:
        membership = api_member(request)
        template = selectors.template_get(workspace=membership.workspace, template_id=template_id)
        return Response(TemplateSerializer(template).data)


class TemplateFillView(APIView):
    @extend_schema(
        summary="Fill a template's fields and make its video (and A/B variants)",
        request={
            "application/json": TemplateFillSerializer,
            "multipart/form-data": TemplateFillSerializer,
        },
        responses={201: JobsSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request, template_id: int) -> Response:
        membership = api_member(request, editing=MAKING_REFUSED)
        workspace = membership.workspace
        template = selectors.template_get(workspace=workspace, template_id=template_id)
        values = request.data.get("values") or {}
        if not isinstance(values, dict):
            raise exceptions.ValidationError({"values": ["Send the fields' values as an object."]})
        data: dict[str, Any] = {**values}
        for name in ("variants", "avatar"):
            if request.data.get(name) is not None:
                data[name] = request.data.get(name)
        asset = asset_named(request, workspace)
        form = TemplateFillForm(
            data,
            request.FILES or None,
            template=template,
            avatars=selectors.avatar_list_for_workspace(workspace=workspace),
        )
        if asset is not None:
            form.fields.pop("image", None)
        if not form.is_valid():
            raise form_invalid(form)
        try:  # the values first, so a bad one leaves no upload behind
            services.templates.template_params(template=template, values=form.values())
        except ValidationError as exc:
            raise invalid(exc) from None
        throttle(request, "jobs")
        if asset is None and form.cleaned_data.get("image"):
            asset = services.uploads.asset_create(
                workspace=workspace,
                user=request.user,
                upload=form.cleaned_data["image"].upload,
                image=form.cleaned_data["image"].image,
            )
        first = services.templates.template_submit(
            template=template,
            workspace=workspace,
            user=request.user,
            values=form.values(),
            image=asset,
            variants=form.cleaned_data.get("variants") or 1,
            avatar=form.cleaned_data.get("avatar"),
        )
        jobs = [first, *Job.objects.filter(variant_of=first).order_by("pk")]
        jobs = [selectors.job_get(workspace=workspace, job_id=job.pk) for job in jobs]
        context = {"request": request}
        return Response({"jobs": JobSerializer(jobs, many=True, context=context).data}, status=201)
