from __future__ import annotations

from django.contrib import admin

from studio.models import Asset, Job, Membership, Project, Video, Workspace


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 1


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "created_at"]
    inlines = [MembershipInline]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "workspace", "engine", "status", "stage", "attempts", "created_at"]
    list_filter = ["status", "engine"]
    readonly_fields = ["lease_owner", "lease_expires_at", "celery_task_id", "attempts"]


admin.site.register([Project, Asset, Video])
