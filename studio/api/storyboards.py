"""Storyboards through the API: make one from a script or an article, read its scenes, change
its settings or one scene, render it in its aspects, follow the render scene by scene, and
download each aspect's video and captions.

The page's forms parse what is sent, and the page's services check and save it, so a refusal
here reads as it does on the page, under the same field names. When every aspect of a render
is assembled, the ``storyboard.finished`` webhook is sent (see ``StoryboardRenderView``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from generation.avatar import captions as caption_files
from generation.storyboard import board as engine_board
from studio import selectors, services
from studio.api.access import api_member
from studio.api.idempotency import idempotent
from studio.api.jobs import IDEMPOTENCY_HEADER, throttle
from studio.api.problems import form_invalid
from studio.api.serializers import absolute
from studio.engines import engine_list, voice_list
from studio.forms.storyboards import SceneForm, StoryboardNewForm, StoryboardSettingsForm
from studio.models import Membership, Storyboard, StoryboardRender, StoryboardScene, Video
from studio.views.access import MAKING_REFUSED
from studio.views.files import serve_stored
from studio.views.storyboards import EDITING_REFUSED

FINISHED_WEBHOOK = (
    "When every aspect is assembled, the workspace's endpoints subscribed to "
    "`storyboard.finished` receive one signed POST naming the storyboard, the render and each "
    "aspect's video (job id, MP4 and caption links, size and duration)."
)
# An aspect in an address: "16x9" for 16:9 (a colon reads badly in a path).
ASPECT_SLUGS = {aspect.replace(":", "x"): aspect for aspect in engine_board.ASPECTS}


# Serializers ---------------------------------------------------------------------------------


class SceneSerializer(serializers.ModelSerializer):
    number = serializers.SerializerMethodField()
    image = serializers.IntegerField(source="image_id", allow_null=True)
    avatar = serializers.IntegerField(source="avatar_id", allow_null=True)

    class Meta:
        model = StoryboardScene
        fields = [
            "id",
            "number",
            "visual",
            "title",
            "voiceover",
            "on_screen_text",
            "prompt",
            "engine",
            "image",
            "avatar",
            "transition",
            "duration",
        ]

    def get_number(self, scene: StoryboardScene) -> int:
        return scene.position + 1


class SceneUpdateSerializer(serializers.Serializer):
    """Any of a scene's fields; those not sent stay as they are."""

    visual = serializers.ChoiceField(choices=StoryboardScene.Visual.choices, required=False)
    voiceover = serializers.CharField(required=False, allow_blank=True)
    on_screen_text = serializers.CharField(required=False, allow_blank=True)
    prompt = serializers.CharField(required=False, allow_blank=True)
    engine = serializers.CharField(required=False, allow_blank=True)
    image = serializers.IntegerField(required=False, allow_null=True)
    avatar = serializers.IntegerField(required=False, allow_null=True)
    transition = serializers.ChoiceField(choices=StoryboardScene.Transition.choices, required=False)
    duration = serializers.FloatField(
        required=False, allow_null=True, help_text="Seconds; null: the voice plus a little air."
    )


class StoryboardSerializer(serializers.ModelSerializer):
    scenes = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Storyboard
        fields = [
            "id",
            "title",
            "voice",
            "speed",
            "music",
            "music_db",
            "captions",
            "transition",
            "aspects",
            "brand_intro",
            "brand_intro_text",
            "brand_outro",
            "brand_outro_text",
            "created_at",
            "updated_at",
            "scenes",
            "web_url",
        ]

    @extend_schema_field(SceneSerializer(many=True))
    def get_scenes(self, storyboard: Storyboard) -> list[dict[str, Any]]:
        scenes = selectors.storyboard_scenes(storyboard=storyboard)
        return list(SceneSerializer(scenes, many=True).data)

    def get_web_url(self, storyboard: Storyboard) -> str:
        return absolute(
            self.context,
            reverse("storyboard_detail", args=[storyboard.workspace_id, storyboard.pk]),
        )


class StoryboardListItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Storyboard
        fields = ["id", "title", "aspects", "created_at", "updated_at"]


class StoryboardCreateSerializer(serializers.Serializer):
    text = serializers.CharField(
        help_text="A script or an article (plain text or Markdown): a heading becomes a title "
        "card, each paragraph a scene."
    )
    title = serializers.CharField(required=False, help_text="Blank: the first heading.")


class StoryboardUpdateSerializer(serializers.Serializer):
    """Any of the settings the whole video shares; those not sent stay as they are."""

    voice = serializers.CharField(required=False, allow_blank=True)
    speed = serializers.FloatField(required=False)
    music = serializers.ChoiceField(choices=Storyboard.Music.choices, required=False)
    music_file = serializers.FileField(
        required=False, help_text="With music `upload`: MP3, WAV, M4A or OGG (multipart)."
    )
    music_db = serializers.FloatField(required=False)
    captions = serializers.ChoiceField(choices=Storyboard.Captions.choices, required=False)
    transition = serializers.ChoiceField(choices=StoryboardScene.Transition.choices, required=False)
    aspects = serializers.ListField(child=serializers.CharField(), required=False)
    brand_intro = serializers.BooleanField(required=False)
    brand_intro_text = serializers.CharField(required=False, allow_blank=True)
    brand_outro = serializers.BooleanField(required=False)
    brand_outro_text = serializers.CharField(required=False, allow_blank=True)


class RenderRequestSerializer(serializers.Serializer):
    aspects = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=f"Of {', '.join(engine_board.ASPECTS)}; not sent: the storyboard's own.",
    )


class RenderSceneSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    scene = serializers.IntegerField(allow_null=True)
    visual = serializers.CharField()
    status = serializers.CharField(
        help_text="A job's status; `card`: drawn in the assembly; `reused`: footage kept."
    )
    stage = serializers.CharField()
    fraction = serializers.FloatField()
    error = serializers.CharField()
    thumbnail = serializers.URLField(allow_blank=True)


class RenderVideoSerializer(serializers.Serializer):
    aspect = serializers.CharField()
    job = serializers.IntegerField()
    status = serializers.CharField()
    mp4 = serializers.URLField(allow_null=True)
    vtt = serializers.URLField(allow_null=True)
    srt = serializers.URLField(allow_null=True)
    duration = serializers.FloatField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)


class RenderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(
        help_text="rendering, assembling, succeeded, cancelled, or failed (a scene or an "
        "assembly failed)."
    )
    stage = serializers.CharField()
    fraction = serializers.FloatField()
    eta_seconds = serializers.FloatField(allow_null=True)
    scenes = RenderSceneSerializer(many=True)
    videos = RenderVideoSerializer(many=True)


# Views ---------------------------------------------------------------------------------------


def _storyboard(request: Request, storyboard_id: int, *, editing: str | None = None) -> Storyboard:
    membership = api_member(request, editing=editing)
    return selectors.storyboard_get(workspace=membership.workspace, storyboard_id=storyboard_id)


def _answer(request: Request, storyboard: Storyboard, *, status: int = 200) -> Response:
    fresh = selectors.storyboard_get(workspace=storyboard.workspace, storyboard_id=storyboard.pk)
    return Response(StoryboardSerializer(fresh, context={"request": request}).data, status=status)


def _fields(request: Request, serializer: type[serializers.Serializer]) -> dict[str, Any]:
    """The fields sent, checked for their types (a multipart form's or a JSON object's)."""
    if not hasattr(request.data, "getlist") and not isinstance(request.data, dict):
        raise exceptions.ValidationError({"__all__": ["Send a JSON object."]})
    sent = serializer(data=request.data)
    sent.is_valid(raise_exception=True)
    return dict(sent.validated_data)


class StoryboardListView(GenericAPIView[Storyboard]):
    serializer_class = StoryboardListItemSerializer

    @extend_schema(
        summary="List the workspace's storyboards, newest first",
        operation_id="storyboards_list",
        responses=StoryboardListItemSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        membership = api_member(request)
        found = selectors.storyboard_list_for_workspace(workspace=membership.workspace)
        page = self.paginate_queryset(found)
        return self.get_paginated_response(StoryboardListItemSerializer(page, many=True).data)

    @extend_schema(
        summary="Make a storyboard's scenes from a script or an article",
        request=StoryboardCreateSerializer,
        responses={201: StoryboardSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        membership = api_member(request, editing=EDITING_REFUSED)
        form = StoryboardNewForm(
            {"text": request.data.get("text", ""), "title": request.data.get("title", "")}
        )
        if not form.is_valid():
            raise form_invalid(form)
        try:
            storyboard = services.storyboards.storyboard_create_from_text(
                workspace=membership.workspace,
                user=request.user,
                text=form.cleaned_data["text"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            raise ValidationError({"text": exc}) from None
        return _answer(request, storyboard, status=201)


class StoryboardDetailView(APIView):
    @extend_schema(
        summary="A storyboard: its settings and its scenes in play order",
        responses=StoryboardSerializer,
    )
    def get(self, request: Request, storyboard_id: int) -> Response:
        return _answer(request, _storyboard(request, storyboard_id))

    @extend_schema(
        summary="Change the settings the whole video shares",
        request={
            "application/json": StoryboardUpdateSerializer,
            "multipart/form-data": StoryboardUpdateSerializer,
        },
        responses=StoryboardSerializer,
    )
    def patch(self, request: Request, storyboard_id: int) -> Response:
        membership = api_member(request, editing=EDITING_REFUSED)
        storyboard = selectors.storyboard_get(
            workspace=membership.workspace, storyboard_id=storyboard_id
        )
        sent = _fields(request, StoryboardUpdateSerializer)
        music_file = sent.pop("music_file", None)
        data = StoryboardSettingsForm.initial_for(storyboard) | sent
        form = StoryboardSettingsForm(
            data,
            {"music_file": music_file} if music_file is not None else None,
            voices=voice_list(),
            storyboard=storyboard,
        )
        if not form.is_valid():
            raise form_invalid(form)
        _settings_save(request, membership, storyboard, form)
        return _answer(request, storyboard)

    @extend_schema(summary="Delete a storyboard", request=None, responses={204: None})
    def delete(self, request: Request, storyboard_id: int) -> Response:
        storyboard = _storyboard(request, storyboard_id, editing=EDITING_REFUSED)
        services.storyboards.storyboard_delete(storyboard=storyboard)
        return Response(status=204)


def _settings_save(
    request: Request, membership: Membership, storyboard: Storyboard, form: StoryboardSettingsForm
) -> None:
    """Save the settings; music sent with them is kept only when they are saved."""
    music = form.cleaned_data["music_file"]
    asset = None
    if music:
        asset = services.uploads.audio_asset_create(
            workspace=membership.workspace,
            user=request.user,
            upload=music.upload,
            format=music.format,
            duration=music.duration,
        )
    try:
        services.storyboards.storyboard_settings_update(
            storyboard=storyboard, settings=form.to_settings(asset)
        )
    except ValidationError:
        if asset is not None:
            services.uploads.asset_delete(asset=asset)
        raise


class StoryboardSceneView(APIView):
    @extend_schema(summary="One scene of a storyboard", responses=SceneSerializer)
    def get(self, request: Request, storyboard_id: int, scene_id: int) -> Response:
        storyboard = _storyboard(request, storyboard_id)
        scene = selectors.storyboard_scene_get(storyboard=storyboard, scene_id=scene_id)
        return Response(SceneSerializer(scene).data)

    @extend_schema(
        summary="Change one scene: what is seen, said and shown, its transition and length",
        request=SceneUpdateSerializer,
        responses=SceneSerializer,
    )
    def patch(self, request: Request, storyboard_id: int, scene_id: int) -> Response:
        membership = api_member(request, editing=EDITING_REFUSED)
        storyboard = selectors.storyboard_get(
            workspace=membership.workspace, storyboard_id=storyboard_id
        )
        scene = selectors.storyboard_scene_get(storyboard=storyboard, scene_id=scene_id)
        sent = _fields(request, SceneUpdateSerializer)
        data = SceneForm.initial_for(scene) | sent
        if "duration" in sent:
            data["timing"] = "auto" if sent["duration"] is None else "fixed"
        workspace = membership.workspace
        form = SceneForm(
            {k: ("" if v is None else v) for k, v in data.items()},
            scene=scene,
            engines=engine_list(),
            images=selectors.image_assets_for_workspace(workspace=workspace),
            avatars=selectors.avatar_list_for_workspace(workspace=workspace),
            prefix=None,
        )
        if not form.is_valid():
            raise form_invalid(form)
        scene = services.storyboards.storyboard_scene_update(scene=scene, edit=form.to_edit(None))
        return Response(SceneSerializer(scene).data)


class StoryboardRenderView(APIView):
    @extend_schema(
        summary="Follow the latest render: its progress, each scene's, each aspect's video",
        responses=RenderSerializer,
    )
    def get(self, request: Request, storyboard_id: int) -> Response:
        storyboard = _storyboard(request, storyboard_id)
        render = selectors.storyboard_render_latest(storyboard=storyboard)
        if render is None:
            raise Http404
        return Response(_render_data(request, storyboard, render))

    @extend_schema(
        summary="Render the storyboard in its aspects (or the aspects sent)",
        description=(
            "Everything is checked before anything is queued: each scene (naming it and its "
            "engine), the voice, the music and the aspects. Footage already made is reused: "
            "after editing one scene only that scene is made again, and changing only the "
            "music, voice or captions makes no footage. " + FINISHED_WEBHOOK
        ),
        request=RenderRequestSerializer,
        responses={202: RenderSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def post(self, request: Request, storyboard_id: int) -> Response:
        storyboard = _storyboard(request, storyboard_id, editing=MAKING_REFUSED)
        sent = _fields(request, RenderRequestSerializer)
        aspects = sent.get("aspects")
        for aspect in aspects or []:
            if aspect not in engine_board.ASPECTS:
                raise exceptions.ValidationError(
                    {
                        "aspects": [
                            f"The aspect '{aspect}' is not offered; choose "
                            f"{', '.join(engine_board.ASPECTS)}."
                        ]
                    }
                )
        throttle(request, "jobs")
        render = services.storyboard_render.storyboard_render(
            storyboard=storyboard, user=request.user, aspects=aspects
        )
        return Response(_render_data(request, storyboard, render), status=202)


def _render_data(request: Request, storyboard: Storyboard, render: StoryboardRender) -> Any:
    # The render panel's context, read as the page reads it: one fact, one place.
    context: dict[str, Any] = selectors.storyboard_render_context(storyboard=storyboard)
    latest: StoryboardRender | None = context["render"]
    if latest is None or latest.pk != render.pk:
        raise Http404
    progress: dict[str, Any] = context["render_progress"]
    scenes = [
        {
            "number": entry["number"],
            "scene": entry["scene"].pk if entry["scene"] else None,
            "visual": entry["visual"],
            "status": entry["status"],
            "stage": entry["stage"],
            "fraction": entry["fraction"],
            "error": entry["error"],
            "thumbnail": absolute({"request": request}, entry["thumbnail"])
            if entry["thumbnail"] and not entry["thumbnail"].startswith("data:")
            else entry["thumbnail"],
        }
        for entry in context["render_scenes"]
    ]
    videos = []
    for output in context["render_outputs"]:
        video: Video | None = output["video"]
        slug = output["aspect"].replace(":", "x")

        def link(kind: str, slug: str = slug, video: Video | None = video) -> str | None:
            if video is None or (kind != "mp4" and not video.captions):
                return None
            return absolute(
                {"request": request},
                reverse(
                    "api:storyboard-file",
                    kwargs={"storyboard_id": storyboard.pk, "aspect": slug, "kind": kind},
                ),
            )

        videos.append(
            {
                "aspect": output["aspect"],
                "job": output["job"].pk,
                "status": output["job"].status,
                "mp4": link("mp4"),
                "vtt": link("vtt"),
                "srt": link("srt"),
                "duration": video.duration if video else None,
                "width": video.width if video else None,
                "height": video.height if video else None,
            }
        )
    return RenderSerializer(
        {
            "id": render.pk,
            "status": progress["status"],
            "stage": progress["stage"],
            "fraction": progress["fraction"],
            "eta_seconds": progress["eta"],
            "scenes": scenes,
            "videos": videos,
        }
    ).data


class StoryboardFileView(APIView):
    """The latest finished video of one aspect, or its captions (WebVTT or SRT)."""

    @extend_schema(
        summary="Download an aspect's video (mp4) or captions (vtt, srt)",
        parameters=[
            OpenApiParameter(
                "aspect", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(ASPECT_SLUGS)
            ),
            OpenApiParameter(
                "kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["mp4", "vtt", "srt"]
            ),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, storyboard_id: int, aspect: str, kind: str) -> HttpResponseBase:
        storyboard = _storyboard(request, storyboard_id)
        if aspect not in ASPECT_SLUGS or kind not in ("mp4", "vtt", "srt"):
            raise Http404
        video = selectors.storyboard_video(storyboard=storyboard, aspect=ASPECT_SLUGS[aspect])
        if video is None or (kind != "mp4" and not video.captions):
            raise Http404
        name = f"{_slug(storyboard)}-{aspect}.{kind}"
        if kind == "srt":
            with video.captions.open("rb") as vtt:
                cues = caption_files.read_vtt(vtt.read().decode("utf-8"))
            response: HttpResponseBase = HttpResponse(
                caption_files.srt_text(cues), content_type="application/x-subrip; charset=utf-8"
            )
        else:
            response = serve_stored(
                request._request, video.file.name if kind == "mp4" else video.captions.name
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _slug(storyboard: Storyboard) -> str:
    return f"storyboard-{storyboard.pk}"
