"""Jobs, the videos they make, and footage shared between identical requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.assets import Asset
from studio.models.workspaces import Project, Workspace

# The first words of the errors the worker records for an unexpected exception.
UNEXPECTED_FAILURES = ("The engine failed", "The overlays could not be drawn")


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    class Mode(models.TextChoices):
        TEXT_TO_VIDEO = "text-to-video", "Text to video"
        IMAGE_TO_VIDEO = "image-to-video", "Image to video"
        AVATAR = "avatar", "Talking head"
        # A storyboard's render: each scene's footage is a job of its own (never a Video: the
        # footage is kept as a Generation), then one job per aspect assembles the finished video.
        STORYBOARD_SCENE = "storyboard-scene", "Storyboard scene"
        STORYBOARD = "storyboard", "Storyboard"

    class Preset(models.TextChoices):
        QUALITY = "quality", "Quality"
        FAST = "fast", "Fast"  # the model's few-step LoRA, where its operator installed one

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="jobs")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    template = models.ForeignKey(
        "Template", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )

    # What to make: every parameter, so a re-run reproduces it.
    mode = models.CharField(max_length=20, choices=Mode.choices)
    engine = models.CharField(max_length=50)
    queue = models.CharField(max_length=20)
    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    # RESTRICT, not PROTECT: an upload a job was made from cannot be deleted on its own, but
    # the workspace that holds both can be (PROTECT would refuse that cascade too).
    image = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.RESTRICT)
    motion = models.CharField(max_length=20, default="auto")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    num_frames = models.PositiveIntegerField()
    fps = models.PositiveIntegerField()
    steps = models.PositiveIntegerField()
    guidance = models.FloatField()
    seed = models.BigIntegerField()
    preset = models.CharField(max_length=10, choices=Preset.choices, default=Preset.QUALITY)
    # Post-steps on the finished clip (generation/post.py); 1 leaves it as it is.
    interpolate = models.PositiveSmallIntegerField(default=1)  # "Smooth motion": frames of each
    upscale = models.PositiveSmallIntegerField(default=1)  # "Upscale": times each side
    # A workspace's style LoRA and its strength (params.STYLE_LORA_STRENGTHS); deleting the
    # LoRA is refused while a queued or running job uses it (services.style_loras).
    style_lora = models.ForeignKey(
        "StyleLora", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    style_lora_strength = models.FloatField(default=1.0)
    # The style preset as it was applied (generation.styles.Style.as_dict()); {}: no style.
    style = models.JSONField(default=dict, blank=True)
    # Overlays drawn on the footage with the workspace's brand kit, their texts already filled:
    # {"lower_third": {"name": ..., "company": ...}, "end_card": {"cta": ..., "seconds": ...}}
    overlays = models.JSONField(default=dict, blank=True)
    # Identical generation requests share footage: a hash of everything the engine sees
    # (see params.generation_key), and the shared footage this job used, if any.
    generation_key = models.CharField(max_length=64, blank=True, db_index=True)
    generation = models.ForeignKey(
        "Generation", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    # Talking heads: the avatar (its portrait is also ``image``), what it says and how.
    avatar = models.ForeignKey(
        "Avatar", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    script = models.TextField(blank=True)
    voice = models.CharField(max_length=40, blank=True)
    speed = models.FloatField(default=1.0)
    captions = models.CharField(max_length=10, default="file")  # burn, file or none
    # A/B variants: the same request with other seeds; each points to the first of its group.
    variant_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="variants"
    )

    # Where it is.
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=40, default="queued")
    progress_step = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    eta_seconds = models.FloatField(null=True, blank=True)
    preview = models.TextField(blank=True)  # a small JPEG as a data URL, the latest one
    details = models.JSONField(
        default=dict, blank=True
    )  # the engine's notes (prompt analysis, ...)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)

    # Who runs it: a lease on the row, renewed while the job makes progress, so a message
    # delivered twice never runs a job twice, and a dead worker's job can be taken back.
    celery_task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # when its message was last sent
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Queued but not sent yet: it waits for its workspace's turn (fair share between
    # workspaces, see queueing.release), so the sweep must not send it as lost.
    held = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def failure_reason(self) -> str:
        """The reason a job failed, as a member reads it. An unexpected exception is recorded
        as "<what failed>: <exception>" (studio/worker/run.py, shared.py, which log it with
        its traceback); the page shows what failed and what to do, not the exception."""
        for plain in UNEXPECTED_FAILURES:
            if self.error.startswith(plain + ":"):
                return f"{plain} unexpectedly. Try again; if it fails again, tell an owner."
        return self.error

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def progress_fraction(self) -> float:
        if self.status == self.Status.SUCCEEDED:
            return 1.0
        return self.progress_step / self.progress_total if self.progress_total else 0.0

    @property
    def duration_seconds(self) -> float:
        return self.num_frames / self.fps if self.fps else 0.0

    @property
    def run_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


def _video_path(video: Video, filename: str) -> str:
    return f"workspaces/{video.workspace_id}/videos/{video.job_id}/{filename}"


class Video(models.Model):
    """The output of a succeeded job; one per job, enforced by the database."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="video")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="videos")
    # Indexed: serving a stored file finds its owner by name (selectors.file_owner).
    file = models.FileField(upload_to=_video_path, max_length=300, db_index=True)
    poster = models.FileField(upload_to=_video_path, max_length=300, db_index=True)
    captions = models.FileField(  # WebVTT
        upload_to=_video_path, max_length=300, blank=True, db_index=True
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    fps = models.PositiveIntegerField()
    num_frames = models.PositiveIntegerField()
    duration = models.FloatField()
    size_bytes = models.PositiveBigIntegerField()
    # The MP4 carries sound: an engine's own (LTX-2), a voiceover or music; the gallery marks it.
    has_sound = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class ReviewState(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    # Set by owners and editors (services.review.review_state_set); the gallery filters by it.
    review_state = models.CharField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.DRAFT, db_index=True
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Video of job {self.job_id}"


def _generation_path(generation: Generation, filename: str) -> str:
    return f"workspaces/{generation.workspace_id}/generations/{filename}"


class Generation(models.Model):
    """Footage made once and shared by every job of the workspace with the same request.

    A batch whose rows differ only in their overlays generates its footage once; each row
    then draws its own overlays on a copy. Stored only for jobs with overlays, whose videos
    differ from the footage. Never served directly: each job's Video holds its own file.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="generations")
    key = models.CharField(max_length=64)
    source_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to=_generation_path, max_length=300)
    # Indexed: a storyboard scene's thumbnail is served by name (selectors.file_owner).
    poster = models.FileField(upload_to=_generation_path, max_length=300, db_index=True)
    engine = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    fps = models.PositiveIntegerField()
    num_frames = models.PositiveIntegerField()
    seconds = models.FloatField()  # how long the generation took
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="one_generation_per_key")
        ]

    def __str__(self) -> str:
        return f"Generation {self.key[:12]}"
