from __future__ import annotations

from django.contrib import admin

from studio.models import (
    Asset,
    Batch,
    BatchRow,
    BrandKit,
    Generation,
    Job,
    Membership,
    Project,
    ReviewComment,
    ShareLink,
    Template,
    Video,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
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
