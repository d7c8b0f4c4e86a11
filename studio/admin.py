from __future__ import annotations

from django.contrib import admin

from studio.models import (
    Asset,
    Batch,
    BatchRow,
    Board,
    BrandKit,
    Export,
    Generation,
    Job,
    Membership,
    Project,
    ReviewComment,
    ShareLink,
    StyleLora,
    Template,
    Video,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
    WorkspaceStyle,
)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 1


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "name",
        "max_active_jobs",
        "cpu_seconds_per_month",
        "gpu_seconds_per_month",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "personal_for", "batch_row_limit"]}),
        (
            "Quotas",
            {
                "description": "Blank: the server's default (WORKSPACE_MAX_ACTIVE_JOBS, "
                "WORKSPACE_CPU_SECONDS_PER_MONTH, WORKSPACE_GPU_SECONDS_PER_MONTH).",
                "fields": ["max_active_jobs", "cpu_seconds_per_month", "gpu_seconds_per_month"],
            },
        ),
    ]
    inlines = [MembershipInline]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "workspace", "engine", "status", "stage", "attempts", "created_at"]
    list_filter = ["status", "engine"]
    readonly_fields = ["lease_owner", "lease_expires_at", "celery_task_id", "attempts"]


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "workspace", "mode", "aspect", "engine"]
    list_filter = ["mode", "aspect"]


class BatchRowInline(admin.TabularInline):  # type: ignore[type-arg]
    model = BatchRow
    extra = 0
    raw_id_fields = ["job"]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "workspace", "template", "status", "created_at"]
    inlines = [BatchRowInline]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "video", "created_by", "created_at", "expires_at", "revoked_at"]
    raw_id_fields = ["video"]
    readonly_fields = ["token"]  # the key of a public page: never typed in


@admin.register(ReviewComment)
class ReviewCommentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "video", "author", "at_seconds", "resolved", "created_at"]
    raw_id_fields = ["video"]


admin.site.register([Project, Asset, Video, BrandKit, Generation])


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["url", "workspace", "active", "created_at"]
    list_filter = ["active"]
    exclude = ["secret"]  # shown once to its owner, never again


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["event", "endpoint", "status", "attempts", "last_status_code", "next_try_at"]
    list_filter = ["status", "event"]
    readonly_fields = ["endpoint", "event", "event_id", "payload"]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "video", "kind", "reframe", "status", "size_bytes", "created_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["video"]
    readonly_fields = ["file", "width", "height", "size_bytes", "notes", "error", "finished_at"]


@admin.register(StyleLora)
class StyleLoraAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "workspace", "family", "engine", "size_bytes", "created_at"]
    list_filter = ["family"]
    # What was checked against the model when it was uploaded: changing it here would let a
    # file run against layers it was never checked for.
    readonly_fields = [
        "file",
        "family",
        "engine",
        "size_bytes",
        "sha256",
        "layers",
        "layers_summary",
    ]


@admin.register(WorkspaceStyle)
class WorkspaceStyleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "workspace", "guidance", "steps", "created_at"]
    search_fields = ["name", "prompt"]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "workspace", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["videos"]
