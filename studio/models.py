"""The studio's data: workspaces and their members, projects, uploads, jobs and videos.

Everything a user can reach hangs off a Workspace, and every read goes through a selector that
filters by the user's membership (studio/selectors.py).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from generation.types import Style


class Workspace(models.Model):
    name = models.CharField(max_length=100)
    personal_for = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personal_workspace",
    )
    batch_row_limit = models.PositiveIntegerField(default=500)  # rows per batch CSV
    # Quotas, set per workspace in the admin; blank: the server's default (settings.py).
    max_active_jobs = models.PositiveIntegerField(
        null=True, blank=True, help_text="Queued and running jobs at once. Blank: the default."
    )
    cpu_seconds_per_month = models.PositiveIntegerField(
        null=True, blank=True, help_text="CPU worker-seconds a calendar month. Blank: the default."
    )
    gpu_seconds_per_month = models.PositiveIntegerField(
        null=True, blank=True, help_text="GPU worker-seconds a calendar month. Blank: the default."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        EDITOR = "editor"
        VIEWER = "viewer"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def can_edit(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.EDITOR)


class Project(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_project_name")
        ]

    def __str__(self) -> str:
        return self.name


def _asset_path(asset: Asset, filename: str) -> str:
    return f"workspaces/{asset.workspace_id}/assets/{filename}"


class Asset(models.Model):
    """An uploaded image or audio file, checked by content (forms.uploads.ImageUploadField,
    AudioUploadField) before storing."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        AUDIO = "audio", "Audio"  # a storyboard's music

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="assets")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # Indexed: serving a stored file finds its owner by name (selectors.file_owner).
    file = models.FileField(upload_to=_asset_path, max_length=300, db_index=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAGE)
    width = models.PositiveIntegerField(null=True, blank=True)  # pixels; None for audio
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)  # seconds; None for an image
    size_bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


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


def _export_path(export: Export, filename: str) -> str:
    return f"workspaces/{export.video.workspace_id}/videos/{export.video.job_id}/exports/{filename}"


class Export(models.Model):
    """A video in another form, a file format or a platform's (generation/exports.py): made by
    a worker on an editor's request and kept, listed on the video's page."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(max_length=20)  # a key of generation.exports.KINDS
    reframe = models.CharField(max_length=10, blank=True)  # blur or crop; "" for a format
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Indexed: serving a stored file finds its owner by name (selectors.file_owner).
    file = models.FileField(upload_to=_export_path, max_length=300, blank=True, db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)  # what it did to fit ("24 fps, ...")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} export of video {self.video_id}"


class ShareLink(models.Model):
    """A public link to one video, opened without signing in: /s/<token>/.

    The token is the only key (24 random bytes, 192 bits), so a link cannot be guessed from
    another; revoking or expiring it makes the page and its files 404 at once.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # None: until revoked
    revoked_at = models.DateTimeField(null=True, blank=True)
    allow_download = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Share link {self.pk} of video {self.video_id}"


class ShareView(models.Model):
    """One visitor's plays of a share link on one day. The visitor is a keyed hash of their
    address, browser and the day (services.sharing.visitor_hash): no cookie, nothing that
    follows them from one day to the next; the rows of a day count its unique viewers."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="views")
    day = models.DateField()
    visitor_hash = models.CharField(max_length=64)
    plays = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["link", "day", "visitor_hash"], name="one_share_view_per_visitor_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plays} plays of link {self.link_id} on {self.day}"


class ReviewComment(models.Model):
    """A member's note on a video at a time code; resolved once it has been dealt with."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at_seconds = models.FloatField()
    text = models.TextField()
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at_seconds", "created_at", "id"]

    def __str__(self) -> str:
        return f"Comment at {self.at_seconds:.1f} s on video {self.video_id}"

    @property
    def timecode(self) -> str:
        """The time as a player shows it: 0:03, 1:25."""
        minutes, seconds = divmod(int(self.at_seconds), 60)
        return f"{minutes}:{seconds:02d}"


def _template_path(template: Template, filename: str) -> str:
    owner = f"workspaces/{template.workspace_id}" if template.workspace_id else "builtin"
    return f"{owner}/templates/{filename}"


class Template(models.Model):
    """A recipe for a video: the parameters of a job, with ``{placeholders}`` a user fills.

    Built-in templates have no workspace and are shown to everyone; a workspace's own
    templates are seen only by its members. ``fields`` lists what a user fills, each a dict
    ``{"name", "label", "type", "required", "max_length"}`` (see studio/placeholders.py).
    """

    class Mode(models.TextChoices):
        TEXT_TO_VIDEO = "text-to-video", "Text to video"
        IMAGE_TO_VIDEO = "image-to-video", "Image to video"
        AVATAR = "avatar", "Talking head"
        STORYBOARD = "storyboard", "Storyboard"

    class Aspect(models.TextChoices):
        LANDSCAPE = "16:9"
        PORTRAIT = "9:16"
        SQUARE = "1:1"

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="templates"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="templates"
    )

    # The recipe: a job's parameters, with placeholders in the texts.
    mode = models.CharField(max_length=20, choices=Mode.choices)
    engine = models.CharField(max_length=50, blank=True)  # blank: the mode's default engine
    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    script = models.TextField(blank=True)  # what a talking head says (avatar templates)
    voice = models.CharField(max_length=40, blank=True)  # blank: the first voice that speaks here
    speed = models.FloatField(default=1.0)  # of the voice (avatar templates)
    motion = models.CharField(max_length=20, default="auto")
    aspect = models.CharField(max_length=5, choices=Aspect.choices, default=Aspect.LANDSCAPE)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    num_frames = models.PositiveIntegerField()
    fps = models.PositiveIntegerField()
    steps = models.PositiveIntegerField(default=20)
    guidance = models.FloatField(default=5.0)
    seed = models.BigIntegerField(null=True, blank=True)  # None: a new seed per video
    preset = models.CharField(max_length=10, choices=Job.Preset.choices, default=Job.Preset.QUALITY)
    style = models.JSONField(default=dict, blank=True)  # a style preset, as its jobs keep it
    # A style LoRA of the template's workspace and its strength, for every video made from it
    # (batches included); deleting the LoRA leaves the template without one.
    style_lora = models.ForeignKey(
        "StyleLora", null=True, blank=True, on_delete=models.SET_NULL, related_name="templates"
    )
    style_lora_strength = models.FloatField(default=1.0)
    variants = models.PositiveSmallIntegerField(default=1)  # A/B: this many seeds per fill
    fields = models.JSONField(default=list, blank=True)
    # Which overlays to draw with the workspace's brand kit, their texts with placeholders:
    # {"lower_third": {"name": "{first_name}", "company": "{company}"},
    #  "end_card": {"cta": "{cta}", "seconds": 1.5}}
    overlays = models.JSONField(default=dict, blank=True)
    # A storyboard template's storyboard, as saved (studio.services.storyboard_batches):
    # {"settings": {"voice", "speed", "music", ...}, "scenes": [{"visual", "voiceover",
    #  "on_screen_text", "prompt", ...}]}; placeholders may stand in the scenes' three texts.
    board = models.JSONField(default=dict, blank=True)
    source_storyboard = models.ForeignKey(
        "Storyboard", null=True, blank=True, on_delete=models.SET_NULL, related_name="templates"
    )
    # A short clip of the template filled with sample values, made by the engines
    # (manage.py template_previews); the library plays it on hover.
    preview = models.FileField(upload_to=_template_path, max_length=300, blank=True, db_index=True)
    preview_poster = models.FileField(
        upload_to=_template_path, max_length=300, blank=True, db_index=True
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.workspace_id is None


def _brand_path(kit: BrandKit, filename: str) -> str:
    return f"workspaces/{kit.workspace_id}/brand/{filename}"


class BrandKit(models.Model):
    """A workspace's look, drawn over its templates' videos (see generation/overlays.py)."""

    class LowerThirdStyle(models.TextChoices):
        BAR = "bar", "A bar in the primary colour"
        CLEAN = "clean", "Text with a soft shadow"

    class EndCardStyle(models.TextChoices):
        SOLID = "solid", "The primary colour"
        DARK = "dark", "Near black"

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="brand_kit")
    logo = models.FileField(upload_to=_brand_path, max_length=300, blank=True, db_index=True)
    primary_color = models.CharField(max_length=7, default="#7c5cff")
    text_color = models.CharField(max_length=7, default="#ffffff")
    accent_color = models.CharField(max_length=7, default="#fbbf24")
    font = models.CharField(max_length=40, default="DejaVu Sans")
    lower_third_style = models.CharField(
        max_length=10, choices=LowerThirdStyle.choices, default=LowerThirdStyle.BAR
    )
    end_card_style = models.CharField(
        max_length=10, choices=EndCardStyle.choices, default=EndCardStyle.SOLID
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Brand kit of {self.workspace}"


class Batch(models.Model):
    """One template and a CSV: one personalized video per row.

    A batch is checked and previewed as a draft; launching it queues one job per row.
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        LAUNCHED = "launched"
        CANCELLED = "cancelled"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="batches")
    template = models.ForeignKey(Template, on_delete=models.RESTRICT, related_name="batches")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    image = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.RESTRICT)
    # A talking-head batch's speaker (its image is the presenter's portrait).
    presenter = models.ForeignKey(
        "Avatar", null=True, blank=True, on_delete=models.SET_NULL, related_name="batches"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    csv_name = models.CharField(max_length=255, blank=True)
    columns = models.JSONField(default=list)  # the CSV's header, in order
    mapping = models.JSONField(default=dict)  # placeholder -> column
    filename_column = models.CharField(max_length=200, blank=True)  # names the ZIP's files
    # A storyboard template's batch: the aspects each row is rendered in ([]: the template's).
    aspects = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Batch {self.pk} of {self.template}"


def _archive_path(archive: BatchArchive, filename: str) -> str:
    return f"workspaces/{archive.batch.workspace_id}/batches/{archive.batch_id}/{filename}"


class BatchArchive(models.Model):
    """A ZIP of a batch's finished videos, named after one column: built by a worker on an
    editor's request and kept, so a download streams a stored file."""

    class Status(models.TextChoices):
        BUILDING = "building"
        READY = "ready"
        FAILED = "failed"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="archives")
    filename_column = models.CharField(max_length=200, blank=True)  # "" names files by row
    video_count = models.PositiveIntegerField()  # finished videos when it was asked for
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    file = models.FileField(upload_to=_archive_path, max_length=300, blank=True)
    links_base = models.CharField(max_length=300)  # the studio's address, for the CSV's links
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"ZIP of {self.video_count} videos of batch {self.batch_id}"


class BatchRow(models.Model):
    """A row of a batch's CSV and the job that makes its video (the latest, after a retry)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # the row in the file: the header is row 1
    values = models.JSONField(default=dict)  # placeholder -> value
    cells = models.JSONField(default=dict)  # column -> cell, for file names and the results
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="batch_rows"
    )
    # A storyboard template's row: the render of its filled storyboard (its job, once the
    # render assembles, is the first aspect's assembly).
    render = models.ForeignKey(
        "StoryboardRender",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batch_rows",
    )
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="one_batch_row_per_number")
        ]

    def __str__(self) -> str:
        return f"Row {self.number} of batch {self.batch_id}"


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


class Avatar(models.Model):
    """A portrait a workspace makes talking heads with. Stored only when it shows exactly one
    face big enough (see generation/avatar/face.py); the face's box is kept to show it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="avatars")
    name = models.CharField(max_length=100)
    image = models.ForeignKey(Asset, on_delete=models.RESTRICT, related_name="avatars")
    face_box = models.JSONField(default=list)  # [x, y, width, height] in the image's pixels
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def face_box_percent(self) -> dict[str, float]:
        """The face's box as percentages of the image, for drawing it over the picture."""
        x, y, w, h = self.face_box or (0, 0, 0, 0)
        width, height = self.image.width or 1, self.image.height or 1
        return {
            "left": 100 * x / width,
            "top": 100 * y / height,
            "width": 100 * w / width,
            "height": 100 * h / height,
        }


class ApiToken(models.Model):
    """A workspace's key to the REST API. It acts as the member who made it, in its workspace
    only, with that member's role; only a hash of it is kept, and its first characters, shown
    in the list so an owner can tell tokens apart (and used to find it)."""

    class Scope(models.TextChoices):
        READ = "read", "Read: list and fetch"
        WRITE = "write", "Write: also create, cancel and delete"

    PREFIX_CHARS = 12  # "rsk_" and 8 random characters: shown in the list, and looked up

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.WRITE)
    prefix = models.CharField(max_length=16, unique=True)  # the token's first characters
    token_hash = models.CharField(max_length=64)  # sha256 of the whole token, hex
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class IdempotencyKey(models.Model):
    """The first answer to a creating API request sent with an ``Idempotency-Key`` header, so
    a client that retries it gets that answer again instead of a second video. Unique per
    caller and key: of two identical requests at the same moment only one inserts the row."""

    owner = models.CharField(max_length=40)  # "token:<id>" or "user:<id>" (browser sessions)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # method, path and body: a reuse must match
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # None: in progress
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="one_response_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} of {self.owner}"


class WebhookEvent(models.TextChoices):
    """What a webhook endpoint can be told about: the one list of event names."""

    JOB_SUCCEEDED = "job.succeeded", "A video is ready"
    JOB_FAILED = "job.failed", "A job failed"
    BATCH_FINISHED = "batch.finished", "A batch's last row ended"
    STORYBOARD_FINISHED = "storyboard.finished", "A storyboard is assembled"
    VIDEO_SHARED = "video.shared", "A video was shared"
    VIDEO_APPROVED = "video.approved", "A video was approved"


class WebhookEndpoint(models.Model):
    """An address outside the studio that is sent the workspace's events, signed with its
    secret (see studio/worker/webhooks.py). The secret is stored as it is, since the server
    signs with it; it is shown once, when the endpoint is made."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # names from WebhookEvent
    secret = models.CharField(max_length=80)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent to one endpoint: its body, and how its attempts went.

    The row is the truth: a delivery whose message was lost is pending with a next try in
    the past, and the due-deliveries sweep sends it again."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # refused by the receiver (a 4xx, a redirect) or by the address guard
        GIVEN_UP = "given-up"  # retried for WEBHOOK_RETRY_HOURS without an answer

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=64)  # the body's "id": the same for every endpoint
    payload = models.JSONField()  # the body: {id, type, created, workspace, data}
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_tried_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Retries stop WEBHOOK_RETRY_HOURS after this: the first send, or the last "Send again".
    sending_since = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # An event is recorded once per endpoint, however many workers see it happen.
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="one_delivery_per_event_and_endpoint"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"


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


def _style_lora_path(lora: StyleLora, filename: str) -> str:
    return f"workspaces/{lora.workspace_id}/loras/{filename}"


class StyleLora(models.Model):
    """A look a workspace's owners uploaded as a LoRA for one model family, checked against a
    configured model's layers before it was stored (generation/engines/style_loras.py)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="style_loras")
    name = models.CharField(max_length=100)
    family = models.CharField(max_length=40)  # the model family's key: "wan2.1", "ltx-video"
    engine = models.CharField(max_length=50)  # the configured model it was checked against
    file = models.FileField(upload_to=_style_lora_path, max_length=300, db_index=True)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)  # what workers cache their copies by
    layers = models.JSONField(default=dict)  # {module: [inputs, outputs, rank]}, as checked
    layers_summary = models.CharField(max_length=300)  # "16 layers (attn1.to_q, ...), rank 4"
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def family_label(self) -> str:
        from generation.engines.style_loras import FAMILIES

        family = FAMILIES.get(self.family)
        return family.label if family else self.family


class WorkspaceStyle(models.Model):
    """A style preset a workspace saved, offered beside the built-in ones
    (generation.styles.BUILTIN_STYLES): words added to the prompt and the negative prompt,
    and the guidance and steps it runs at. Jobs, templates and storyboards keep a copy."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="styles")
    name = models.CharField(max_length=60)
    prompt = models.TextField()  # the prompt additions
    negative = models.TextField(blank=True)
    guidance = models.FloatField(null=True, blank=True)  # None: the request's own
    steps = models.PositiveIntegerField(null=True, blank=True)  # None: the request's own
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_style_per_name")
        ]

    def __str__(self) -> str:
        return self.name

    def as_style(self) -> Style:
        """The style as the engine takes it."""
        return Style(
            name=self.name,
            label=self.name,
            prompt=self.prompt,
            negative=self.negative,
            guidance=self.guidance,
            steps=self.steps,
        )


class Board(models.Model):
    """A named collection of a workspace's videos ("Spring launch", "Best of Q3")."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=100)
    videos = models.ManyToManyField(Video, related_name="boards", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_board_per_name")
        ]

    def __str__(self) -> str:
        return self.name
