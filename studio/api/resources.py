"""The API's small resources: engines, uploads and the workspace's usage."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from generation import limits
from generation.engines import Recommended
from studio import selectors, services
from studio.api.access import api_member
from studio.api.idempotency import idempotent
from studio.api.jobs import IDEMPOTENCY_HEADER
from studio.api.problems import form_invalid
from studio.api.serializers import (
    MODES,
    AssetCreateSerializer,
    AssetSerializer,
    EnginesSerializer,
    UsageSerializer,
)
from studio.engines import engine_list
from studio.forms.jobs import JobApiForm
from studio.forms.uploads import AssetUploadForm
from studio.models import Job, Membership
from studio.params import SIZES
from studio.views.access import MAKING_REFUSED


class EngineListView(APIView):
    @extend_schema(
        summary="The engines here, with modes, presets, limits and defaults",
        responses=EnginesSerializer,
    )
    def get(self, request: Request) -> Response:
        api_member(request)
        engines = [asdict(engine) for engine in engine_list()]
        return Response(
            {
                "engines": engines,
                "modes": list(MODES),
                "presets": Job.Preset.values,
                "limits": {
                    **limits.for_page(),
                    "min_side": limits.MIN_SIDE,
                    "max_side": limits.MAX_SIDE,
                    "seed": limits.MAX_SEED,
                    "variants": limits.MAX_VARIANTS,
                },
                # An engine's own recommended settings come first (engines[].recommended);
                # these are what a job gets on an engine that states none.
                "defaults": {**JobApiForm.DEFAULTS, **Recommended().for_page()},
                "sizes": {
                    aspect: {size: list(wh) for size, wh in by_size.items()}
                    for aspect, by_size in SIZES.items()
                },
            }
        )


class AssetCreateView(APIView):
    @extend_schema(
        summary="Upload an image to animate",
        request={"multipart/form-data": AssetCreateSerializer},
        responses={201: AssetSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        membership = api_member(request, editing=MAKING_REFUSED)
        form = AssetUploadForm(files=request.FILES)
        if not form.is_valid():
            raise form_invalid(form)
        asset = services.uploads.asset_create(
            workspace=membership.workspace,
            user=request.user,
            upload=form.cleaned_data["image"].upload,
            image=form.cleaned_data["image"].image,
        )
        return Response(AssetSerializer(asset).data, status=201)


class UsageView(APIView):
    @extend_schema(
        summary="The workspace's active jobs and this month's worker time, against its quotas",
        responses=UsageSerializer,
    )
    def get(self, request: Request) -> Response:
        membership = api_member(request)
        if membership.role != Membership.Role.OWNER:  # as on the dashboard: owners' business
            raise PermissionDenied("Only owners see the workspace's usage.")
        usage = selectors.workspace_usage(workspace=membership.workspace)
        kinds = {
            kind: {"used": value.used, "quota": value.quota, "left": value.left}
            for kind, value in usage.kinds.items()
        }
        return Response({"active_jobs": usage.active, "max_active_jobs": usage.max_active, **kinds})
