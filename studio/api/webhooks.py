"""Webhook endpoints through the API: list them, add one (its secret answered once), delete."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio import selectors, services
from studio.api.access import api_member
from studio.api.idempotency import idempotent
from studio.api.jobs import IDEMPOTENCY_HEADER
from studio.models import Membership, WebhookEndpoint, WebhookEvent
from studio.views.webhooks import MANAGING_REFUSED


class WebhookCreateSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Where the events are POSTed (http or https).")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.values), allow_empty=False
    )


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "active", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="Signs every delivery; shown only in this answer.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


def _owner(request: Request) -> Membership:
    membership = api_member(request)
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied(MANAGING_REFUSED)
    return membership


class WebhookListView(APIView):
    @extend_schema(
        summary="The workspace's webhook endpoints", responses=WebhookSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        membership = api_member(request)
        endpoints = selectors.webhook_endpoint_list(workspace=membership.workspace)
        return Response(WebhookSerializer(endpoints, many=True).data)

    @extend_schema(
        summary="Add an endpoint (owners); the answer holds its secret, shown once",
        request=WebhookCreateSerializer,
        responses={201: WebhookCreatedSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        membership = _owner(request)
        given = WebhookCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        endpoint, secret = services.webhooks.webhook_endpoint_create(
            workspace=membership.workspace,
            user=request.user,
            url=given.validated_data["url"],
            events=given.validated_data["events"],
        )
        endpoint.secret = secret
        return Response(WebhookCreatedSerializer(endpoint).data, status=201)


class WebhookDetailView(APIView):
    @extend_schema(summary="One webhook endpoint", responses=WebhookSerializer)
    def get(self, request: Request, endpoint_id: int) -> Response:
        membership = api_member(request)
        endpoint = selectors.webhook_endpoint_get(
            workspace=membership.workspace, endpoint_id=endpoint_id
        )
        return Response(WebhookSerializer(endpoint).data)

    @extend_schema(
        summary="Delete an endpoint (owners): nothing more is sent to it", responses={204: None}
    )
    def delete(self, request: Request, endpoint_id: int) -> Response:
        membership = _owner(request)
        endpoint = selectors.webhook_endpoint_get(
            workspace=membership.workspace, endpoint_id=endpoint_id
        )
        services.webhooks.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=204)
