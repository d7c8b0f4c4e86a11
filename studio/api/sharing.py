"""Share links through the API: make a public link to a finished video, or revoke its links."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio import selectors, services
from studio.api.access import api_member
from studio.api.idempotency import idempotent
from studio.api.jobs import IDEMPOTENCY_HEADER
from studio.models import Job, Video
from studio.views.sharing import share_urls

SHARING_REFUSED = "Viewers cannot share or revoke links."


class ShareCreateSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the link stops working; none: never."
    )
    allow_download = serializers.BooleanField(default=False)


class ShareLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The share page, for anyone, without signing in.")
    embed = serializers.URLField(help_text="The player alone, for an iframe.")
    video = serializers.URLField()
    poster = serializers.URLField()
    expires_at = serializers.DateTimeField(allow_null=True)
    allow_download = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many live links were revoked.")


def _finished_video(request: Request, job_id: int, *, editing: str) -> tuple[Job, Video]:
    membership = api_member(request, editing=editing)
    job = selectors.job_get(workspace=membership.workspace, job_id=job_id)
    video: Video | None = getattr(job, "video", None)
    if video is None or job.status != Job.Status.SUCCEEDED:
        raise ValidationError("Only a finished video can be shared.", code="not_finished")
    return job, video


class JobShareView(APIView):
    @extend_schema(
        summary="Share a finished video: a public link (and embed) anyone can open",
        request=ShareCreateSerializer,
        responses={201: ShareLinkSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request, job_id: int) -> Response:
        _, video = _finished_video(request, job_id, editing=SHARING_REFUSED)
        choice = ShareCreateSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        link = services.sharing.share_link_create(
            video=video,
            user=request.user,
            expires_at=choice.validated_data.get("expires_at"),
            allow_download=choice.validated_data["allow_download"],
        )
        urls = share_urls(request._request, link)
        body = {
            "url": urls["page"],
            "embed": urls["embed"],
            "video": urls["video"],
            "poster": urls["poster"],
            "expires_at": link.expires_at,
            "allow_download": link.allow_download,
            "created_at": link.created_at,
        }
        return Response(ShareLinkSerializer(body).data, status=201)

    @extend_schema(
        summary="Revoke every live link to the video: their pages and files answer 404 at once",
        responses=RevokedSerializer,
    )
    def delete(self, request: Request, job_id: int) -> Response:
        _, video = _finished_video(request, job_id, editing=SHARING_REFUSED)
        revoked = services.sharing.share_link_revoke_all(video=video)
        return Response({"revoked": revoked})
