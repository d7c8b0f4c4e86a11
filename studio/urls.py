from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from studio import views

urlpatterns = [
    path("", views.jobs.dashboard, name="dashboard"),
    path("w/<int:workspace_id>/", views.jobs.workspace_dashboard, name="workspace_dashboard"),
    path("workspaces/new/", views.workspaces.workspace_new, name="workspace_new"),
    path("w/<int:workspace_id>/members/", views.workspaces.members, name="members"),
    path(
        "w/<int:workspace_id>/members/<int:membership_id>/remove/",
        views.workspaces.member_remove,
        name="member_remove",
    ),
    path("w/<int:workspace_id>/api-tokens/", views.api_tokens.api_tokens, name="api_tokens"),
    path(
        "w/<int:workspace_id>/api-tokens/<int:token_id>/revoke/",
        views.api_tokens.api_token_revoke,
        name="api_token_revoke",
    ),
    path("w/<int:workspace_id>/new/", views.jobs.job_new, name="job_new"),
    path("w/<int:workspace_id>/gallery/", views.jobs.gallery, name="gallery"),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/render/",
        views.storyboard_render.storyboard_render,
        name="storyboard_render",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/render/cancel/",
        views.storyboard_render.storyboard_render_cancel,
        name="storyboard_render_cancel",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/render/panel/",
        views.storyboard_render.storyboard_render_panel,
        name="storyboard_render_panel",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/cards/<str:card>.png",
        views.storyboard_render.storyboard_card_still,
        name="storyboard_card_still",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/scenes/<int:scene_id>/retry/",
        views.storyboard_render.storyboard_scene_retry,
        name="storyboard_scene_retry",
    ),
    path("w/<int:workspace_id>/boards/new/", views.boards.board_create, name="board_create"),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/boards/", views.boards.board_add, name="board_add"
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/boards/<int:board_id>/remove/",
        views.boards.board_remove,
        name="board_remove",
    ),
    path("w/<int:workspace_id>/styles/", views.styles.style_list, name="style_list"),
    path("w/<int:workspace_id>/styles/<int:style_id>/", views.styles.style_edit, name="style_edit"),
    path(
        "w/<int:workspace_id>/styles/<int:style_id>/delete/",
        views.styles.style_delete,
        name="style_delete",
    ),
    path("w/<int:workspace_id>/jobs/<int:job_id>/", views.jobs.job_detail, name="job_detail"),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/exports/",
        views.exports.export_create,
        name="export_create",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/exports/state/",
        views.exports.export_states,
        name="export_states",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/exports/<int:export_id>/download/",
        views.exports.export_download,
        name="export_download",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/state.json", views.jobs.job_state, name="job_state"
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/cancel/", views.jobs.job_cancel, name="job_cancel"
    ),
    path("w/<int:workspace_id>/jobs/<int:job_id>/rerun/", views.jobs.job_rerun, name="job_rerun"),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/download/",
        views.files.video_download,
        name="video_download",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/save-template/",
        views.templates.template_save_from_job,
        name="template_save_from_job",
    ),
    path(
        "w/<int:workspace_id>/templates/", views.templates.template_library, name="template_library"
    ),
    path(
        "w/<int:workspace_id>/templates/<int:template_id>/",
        views.templates.template_use,
        name="template_use",
    ),
    path(
        "w/<int:workspace_id>/templates/<int:template_id>/edit/",
        views.templates.template_edit,
        name="template_edit",
    ),
    path("w/<int:workspace_id>/brand/", views.brand.brand_kit, name="brand_kit"),
    path("w/<int:workspace_id>/avatars/", views.avatars.avatar_library, name="avatar_library"),
    path(
        "w/<int:workspace_id>/avatars/<int:avatar_id>/",
        views.avatars.avatar_edit,
        name="avatar_edit",
    ),
    path(
        "w/<int:workspace_id>/avatars/new-video/",
        views.avatars.avatar_video_new,
        name="avatar_video_new",
    ),
    path(
        "w/<int:workspace_id>/avatars/voice/",
        views.avatars.avatar_voice_preview,
        name="avatar_voice",
    ),
    path("w/<int:workspace_id>/batches/", views.batches.batch_list, name="batch_list"),
    path("w/<int:workspace_id>/batches/new/", views.batches.batch_new, name="batch_new"),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/",
        views.batches.batch_detail,
        name="batch_detail",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/launch/",
        views.batches.batch_launch,
        name="batch_launch",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/retry/",
        views.batches.batch_retry,
        name="batch_retry",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/cancel/",
        views.batches.batch_cancel,
        name="batch_cancel",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/results.csv",
        views.batches.batch_results,
        name="batch_results",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/videos.zip",
        views.batches.batch_zip,
        name="batch_zip",
    ),
    path(
        "w/<int:workspace_id>/batches/<int:batch_id>/videos.zip/make/",
        views.batches.batch_zip_make,
        name="batch_zip_make",
    ),
    path(
        "w/<int:workspace_id>/storyboards/",
        views.storyboards.storyboard_list,
        name="storyboard_list",
    ),
    path(
        "w/<int:workspace_id>/storyboards/new/",
        views.storyboards.storyboard_new,
        name="storyboard_new",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/",
        views.storyboards.storyboard_detail,
        name="storyboard_detail",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/settings/",
        views.storyboards.storyboard_settings,
        name="storyboard_settings",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/save-template/",
        views.storyboards.storyboard_save_template,
        name="storyboard_save_template",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/delete/",
        views.storyboards.storyboard_delete,
        name="storyboard_delete",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/scenes/add/",
        views.storyboards.storyboard_scene_add,
        name="storyboard_scene_add",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/scenes/<int:scene_id>/",
        views.storyboards.storyboard_scene_save,
        name="storyboard_scene_save",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/scenes/<int:scene_id>/duplicate/",
        views.storyboards.storyboard_scene_duplicate,
        name="storyboard_scene_duplicate",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/scenes/<int:scene_id>/delete/",
        views.storyboards.storyboard_scene_delete,
        name="storyboard_scene_delete",
    ),
    path(
        "w/<int:workspace_id>/storyboards/<int:storyboard_id>/scenes/<int:scene_id>/move/",
        views.storyboards.storyboard_scene_move,
        name="storyboard_scene_move",
    ),
    path("api/v1/", include("studio.api.urls")),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/share/",
        views.sharing.share_create,
        name="share_create",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/share/<int:link_id>/revoke/",
        views.sharing.share_revoke,
        name="share_revoke",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/comments/",
        views.review.comment_create,
        name="comment_create",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/comments/<int:comment_id>/resolve/",
        views.review.comment_resolve,
        name="comment_resolve",
    ),
    path(
        "w/<int:workspace_id>/jobs/<int:job_id>/review/",
        views.review.review_state,
        name="review_state",
    ),
    # Share links: public, no sign-in; the token is the only key.
    path("s/<str:token>/", views.sharing.share_page, name="share_page"),
    path("s/<str:token>/embed/", views.sharing.share_embed, name="share_embed"),
    path("s/<str:token>/video.mp4", views.sharing.share_video, name="share_video"),
    path("s/<str:token>/poster.jpg", views.sharing.share_poster, name="share_poster"),
    path("s/<str:token>/captions.vtt", views.sharing.share_captions, name="share_captions"),
    path("s/<str:token>/download/", views.sharing.share_download, name="share_download"),
    path("s/<str:token>/play/", views.sharing.share_play, name="share_play"),
    path("w/<int:workspace_id>/loras/", views.style_loras.style_loras, name="style_loras"),
    path(
        "w/<int:workspace_id>/loras/<int:lora_id>/delete/",
        views.style_loras.style_lora_delete,
        name="style_lora_delete",
    ),
    path("w/<int:workspace_id>/webhooks/", views.webhooks.webhooks, name="webhooks"),
    path(
        "w/<int:workspace_id>/webhooks/<int:endpoint_id>/",
        views.webhooks.webhook_detail,
        name="webhook_detail",
    ),
    path(
        "w/<int:workspace_id>/webhooks/<int:endpoint_id>/delete/",
        views.webhooks.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "w/<int:workspace_id>/webhooks/deliveries/<int:delivery_id>/send-again/",
        views.webhooks.webhook_delivery_retry,
        name="webhook_delivery_retry",
    ),
    path("files/<path:name>", views.files.stored_file, name="file"),
    path("accounts/password_reset/", views.accounts.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
