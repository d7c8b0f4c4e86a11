"""/api/v1/: the REST API, its OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from studio.api import batches, jobs, resources, sharing, storyboards, templates, webhooks
from studio.api.problems import not_found

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("engines/", resources.EngineListView.as_view(), name="engines"),
    path("assets/", resources.AssetCreateView.as_view(), name="assets"),
    path("usage/", resources.UsageView.as_view(), name="usage"),
    path("jobs/", jobs.JobListView.as_view(), name="jobs"),
    path("jobs/<int:job_id>/", jobs.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:job_id>/cancel/", jobs.JobCancelView.as_view(), name="job-cancel"),
    path("jobs/<int:job_id>/rerun/", jobs.JobRerunView.as_view(), name="job-rerun"),
    path("jobs/<int:job_id>/share/", sharing.JobShareView.as_view(), name="job-share"),
    path("jobs/<int:job_id>/video.mp4", jobs.JobFileView.as_view(kind="mp4"), name="job-video"),
    path(
        "jobs/<int:job_id>/poster.jpg", jobs.JobFileView.as_view(kind="poster"), name="job-poster"
    ),
    path("templates/", templates.TemplateListView.as_view(), name="templates"),
    path(
        "templates/<int:template_id>/",
        templates.TemplateDetailView.as_view(),
        name="template-detail",
    ),
    path(
        "templates/<int:template_id>/fill/",
        templates.TemplateFillView.as_view(),
        name="template-fill",
    ),
    path("batches/", batches.BatchListView.as_view(), name="batches"),
    path("batches/<int:batch_id>/", batches.BatchDetailView.as_view(), name="batch-detail"),
    path("batches/<int:batch_id>/launch/", batches.BatchLaunchView.as_view(), name="batch-launch"),
    path("batches/<int:batch_id>/cancel/", batches.BatchCancelView.as_view(), name="batch-cancel"),
    path(
        "batches/<int:batch_id>/results.csv",
        batches.BatchResultsView.as_view(),
        name="batch-results",
    ),
    path("batches/<int:batch_id>/videos.zip", batches.BatchZipView.as_view(), name="batch-zip"),
    path("storyboards/", storyboards.StoryboardListView.as_view(), name="storyboards"),
    path(
        "storyboards/<int:storyboard_id>/",
        storyboards.StoryboardDetailView.as_view(),
        name="storyboard-detail",
    ),
    path(
        "storyboards/<int:storyboard_id>/scenes/<int:scene_id>/",
        storyboards.StoryboardSceneView.as_view(),
        name="storyboard-scene",
    ),
    path(
        "storyboards/<int:storyboard_id>/render/",
        storyboards.StoryboardRenderView.as_view(),
        name="storyboard-render",
    ),
    path(
        "storyboards/<int:storyboard_id>/videos/<str:aspect>.<str:kind>",
        storyboards.StoryboardFileView.as_view(),
        name="storyboard-file",
    ),
    path("webhooks/", webhooks.WebhookListView.as_view(), name="webhooks"),
    path(
        "webhooks/<int:endpoint_id>/",
        webhooks.WebhookDetailView.as_view(),
        name="webhook-detail",
    ),
    re_path(r"^.*$", not_found),  # an address the API does not have: a problem, not a page
]
