"""Storyboards, their scenes, and their renders."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.assets import Asset
from studio.models.batches import Batch
from studio.models.jobs import Job
from studio.models.workspaces import Project, Workspace


class Storyboard(models.Model):
    """A script made into scenes, with what the whole video shares: voice, music, captions,
    transitions and the aspects to render (the engine's Storyboard, as the studio keeps it)."""

    class Music(models.TextChoices):
        NONE = "none", "None"
        CALM = "calm", "Calm"
        UPBEAT = "upbeat", "Upbeat"
        CORPORATE = "corporate", "Corporate"
        UPLOAD = "upload", "An uploaded file"

    class Captions(models.TextChoices):
        BURN = "burn", "Burned in"
        FILE = "file", "As a file (WebVTT and SRT)"
        NONE = "none", "None"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="storyboards")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="storyboards"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    title = models.CharField(max_length=200)
    source_text = models.TextField()  # the script or article as pasted
    voice = models.CharField(max_length=40, blank=True)  # blank: the first voice that speaks here
    speed = models.FloatField(default=1.0)
    music = models.CharField(max_length=10, choices=Music.choices, default=Music.NONE)
    music_asset = models.ForeignKey(  # the uploaded audio, when music is "upload"
        Asset, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    music_db = models.FloatField(default=-16.0)  # the music's level under no voice (dBFS)
    captions = models.CharField(max_length=10, choices=Captions.choices, default=Captions.FILE)
    transition = models.CharField(max_length=12, default="crossfade")  # new scenes' transition
    aspects = models.JSONField(default=list)  # of "16:9", "9:16", "1:1", in render order
    style = models.JSONField(default=dict, blank=True)  # a style preset for its scenes' prompts
    # A row's storyboard, filled from a storyboard template: the batch lists it, the
    # storyboards page does not.
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.CASCADE, related_name="storyboards"
    )
    # The brand kit's open and close: a brand card (logo, colours) before the first scene and
    # after the last, with a line of its own (the intro: the workspace's name where blank).
    brand_intro = models.BooleanField(default=False)
    brand_intro_text = models.CharField(max_length=80, blank=True)
    brand_outro = models.BooleanField(default=False)
    brand_outro_text = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class StoryboardScene(models.Model):
    """One scene of a storyboard: what is seen, what is said, how it enters."""

    class Visual(models.TextChoices):
        TEXT_CARD = "text-card", "Text card"
        BRAND_CARD = "brand-card", "Brand card"
        TEXT_TO_VIDEO = "text-to-video", "Text to video"
        IMAGE_TO_VIDEO = "image-to-video", "Image to video"
        TALKING_HEAD = "talking-head", "Talking head"

    class Transition(models.TextChoices):
        CUT = "cut", "Cut"
        CROSSFADE = "crossfade", "Crossfade"
        FADE_BLACK = "fade-black", "Fade through black"
        SLIDE = "slide", "Slide"

    class Sound(models.TextChoices):
        """What becomes of the sound an engine made with the footage (LTX-2's)."""

        KEEP = "keep", "Keep at its level"
        DUCK = "duck", "Duck under the voice"
        MUTE = "mute", "Mute"

    storyboard = models.ForeignKey(Storyboard, on_delete=models.CASCADE, related_name="scenes")
    position = models.PositiveIntegerField()  # 0, 1, 2 ... in play order
    visual = models.CharField(max_length=20, choices=Visual.choices, default=Visual.TEXT_CARD)
    title = models.BooleanField(default=False)  # a heading's card, drawn as a title
    voiceover = models.TextField(blank=True)
    on_screen_text = models.CharField(max_length=200, blank=True)
    prompt = models.TextField(blank=True)
    engine = models.CharField(max_length=50, blank=True)  # blank: the first installed
    image = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.RESTRICT)
    avatar = models.ForeignKey(
        "Avatar", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transition = models.CharField(
        max_length=12, choices=Transition.choices, default=Transition.CROSSFADE
    )
    duration = models.FloatField(null=True, blank=True)  # seconds; None: the voice plus air
    sound = models.CharField(max_length=4, choices=Sound.choices, default=Sound.DUCK)
    # What the prompt analysis understood: {"subject", "action", "setting", "mood"}.
    analysis = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"Scene {self.position + 1} of {self.storyboard}"


class StoryboardRender(models.Model):
    """One press of Render: the scenes' footage jobs (footage already stored is reused), then
    one assembly job per aspect. Its status moves rendering -> assembling -> succeeded; a
    failed scene or assembly shows on its job, and cancelling stops every job still active."""

    class Status(models.TextChoices):
        RENDERING = "rendering"  # the scenes' footage is being made
        ASSEMBLING = "assembling"  # every scene is made; the assembly jobs are queued
        SUCCEEDED = "succeeded"  # every aspect is assembled
        CANCELLED = "cancelled"

    storyboard = models.ForeignKey(Storyboard, on_delete=models.CASCADE, related_name="renders")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RENDERING, db_index=True
    )
    short_side = models.PositiveIntegerField(default=720)  # pixels: 16:9 is 1280x720
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Render {self.pk} of {self.storyboard}"


class StoryboardRenderScene(models.Model):
    """One scene in one aspect of a render: the footage it plays, by its key (what the engine
    sees, generation.pipelines.storyboard.footage_key), and the job making it. No job: the
    footage was already stored (a Generation with that key), or the scene is a card drawn in
    the assembly (no key)."""

    render = models.ForeignKey(StoryboardRender, on_delete=models.CASCADE, related_name="scenes")
    scene = models.ForeignKey(
        StoryboardScene, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField()  # in play order, as the scene was when rendered
    aspect = models.CharField(max_length=5)
    visual = models.CharField(max_length=20)
    footage_key = models.CharField(max_length=64, blank=True)  # "": drawn in the assembly
    frames = models.PositiveIntegerField(default=0)  # the scene's length its footage was made for
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="storyboard_scenes"
    )

    class Meta:
        ordering = ["position", "aspect"]
        constraints = [
            models.UniqueConstraint(
                fields=["render", "position", "aspect"], name="one_render_scene_per_aspect"
            )
        ]

    def __str__(self) -> str:
        return f"Scene {self.position + 1} ({self.aspect}) of render {self.render_id}"


class StoryboardRenderOutput(models.Model):
    """One aspect's assembly: its job owns the finished Video, like any other job."""

    render = models.ForeignKey(StoryboardRender, on_delete=models.CASCADE, related_name="outputs")
    aspect = models.CharField(max_length=5)
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="storyboard_output")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["render", "aspect"], name="one_output_per_aspect")
        ]

    def __str__(self) -> str:
        return f"{self.aspect} of render {self.render_id}"
