from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from studio import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("w/<int:workspace_id>/", views.workspace_dashboard, name="workspace_dashboard"),
    path("workspaces/new/", views.workspace_new, name="workspace_new"),
    path("w/<int:workspace_id>/members/", views.members, name="members"),
    path(
        "w/<int:workspace_id>/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("w/<int:workspace_id>/new/", views.job_new, name="job_new"),
    path("w/<int:workspace_id>/gallery/", views.gallery, name="gallery"),
    path("w/<int:workspace_id>/jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("w/<int:workspace_id>/jobs/<int:job_id>/state.json", views.job_state, name="job_state"),
    path("w/<int:workspace_id>/jobs/<int:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("w/<int:workspace_id>/jobs/<int:job_id>/rerun/", views.job_rerun, name="job_rerun"),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/download/",
        views.video_download,
        name="video_download",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/save-template/",
        views.template_save_from_job,
        name="template_save_from_job",
    ),
    path("w/<int:workspace_id>/templates/", views.template_library, name="template_library"),
    path(
        "w/<int:workspace_id>/templates/<int:template_id>/",
        views.template_use,
        name="template_use",
    ),
    path(
        "w/<int:workspace_id>/templates/<int:template_id>/edit/",
        views.template_edit,
        name="template_edit",
    ),
    path("w/<int:workspace_id>/brand/", views.brand_kit, name="brand_kit"),
    path("w/<int:workspace_id>/avatars/", views.avatar_library, name="avatar_library"),
    path(
        "w/<int:workspace_id>/avatars/<int:avatar_id>/",
        views.avatar_edit,
        name="avatar_edit",
    ),
    path(
        "w/<int:workspace_id>/avatars/new-video/", views.avatar_video_new, name="avatar_video_new"
    ),
    path("w/<int:workspace_id>/avatars/voice/", views.avatar_voice_preview, name="avatar_voice"),
    path("w/<int:workspace_id>/batches/", views.batch_list, name="batch_list"),
    path("w/<int:workspace_id>/batches/new/", views.batch_new, name="batch_new"),
    path("w/<int:workspace_id>/batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/launch/",
        views.batch_launch,
        name="batch_launch",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/retry/", views.batch_retry, name="batch_retry"
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/cancel/",
        views.batch_cancel,
        name="batch_cancel",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/results.csv",
        views.batch_results,
        name="batch_results",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/videos.zip",
        views.batch_zip,
        name="batch_zip",
    ),
    path("files/<path:name>", views.stored_file, name="file"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
