"""Gallery search: prompts, project and template names and review comments, with the other
filters. Run on SQLite (a plain match) and on PostgreSQL (full-text search) alike."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from studio import selectors, services
from studio.models import Job, Storyboard, Template, Video
from tests.conftest import make_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(workspace: Any, user: Any, camera_params: Any, asset: Any, no_queue: Any) -> Any:
    """Three jobs: a bottle in a project, a shoe from a template, a lake with a comment."""
    project = services.workspaces.project_get_or_create(workspace=workspace, name="Spring launch")
    template = Template.objects.create(
        workspace=workspace,
        name="Sneaker showcase",
        mode="image-to-video",
        engine="camera-motion",
        prompt="a shoe",
        width=256,
        height=256,
        num_frames=4,
        fps=8,
    )

    def submit(prompt: str, **kwargs: Any) -> Job:
        params = dataclasses.replace(camera_params, prompt=prompt)
        return services.jobs.job_submit(
            workspace=workspace, user=user, params=params, image=asset, **kwargs
        )

    bottle = submit("slow zoom in on the glass bottles", project=project)
    shoe = submit("a red shoe turning", template=template)
    lake = submit("a calm lake at dawn")
    video = Video.objects.create(
        job=lake,
        workspace=workspace,
        width=8,
        height=8,
        fps=8,
        num_frames=8,
        duration=1.0,
        size_bytes=10,
        file="x.mp4",
        poster="x.jpg",
    )
    services.review.review_comment_create(
        video=video, user=user, at_seconds=0.5, text="Needs the logo watermark"
    )
    Job.objects.filter(pk=lake.pk).update(status=Job.Status.SUCCEEDED)
    return {"bottle": bottle, "shoe": shoe, "lake": lake}


def _found(workspace: Any, text: str, **filters: Any) -> set[int]:
    jobs = selectors.job_list_for_workspace(workspace=workspace, search=text, **filters)
    return {job.pk for job in jobs}


@pytest.mark.parametrize(
    ("text", "which"),
    [
        ("bottles", {"bottle"}),  # a word of the prompt
        ("Spring", {"bottle"}),  # the project's name
        ("sneaker showcase", {"shoe"}),  # the template's name
        ("watermark", {"lake"}),  # a review comment
        ("red shoe", {"shoe"}),  # every word must match
        ("red lake", set()),
        ("  ", {"bottle", "shoe", "lake"}),  # blank: no search
    ],
)
def test_it_finds_jobs_by_prompt_project_template_and_comment(workspace, made, text, which):
    """Each searched text finds its job, and only its job."""
    assert _found(workspace, text) == {made[name].pk for name in which}


def test_postgresql_matches_words_by_their_stem(workspace, made):
    """Full-text search: "bottle" finds "bottles" and "turns" finds "turning" (PostgreSQL)."""
    if connection.vendor != "postgresql":
        pytest.skip("stemming is PostgreSQL's full-text search; SQLite matches substrings")
    assert _found(workspace, "bottle") == {made["bottle"].pk}
    assert _found(workspace, "turns") == {made["shoe"].pk}


def test_sqlite_matches_part_of_a_word(workspace, made):
    """The plain match finds "bottle" inside "bottles" too, case-insensitively (SQLite)."""
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL matches whole words by their stem")
    assert _found(workspace, "BOTTLE") == {made["bottle"].pk}


def test_a_job_with_several_matching_comments_is_listed_once(workspace, user, made):
    """Matches in two comments still give one result."""
    video = made["lake"].video
    services.review.review_comment_create(
        video=video, user=user, at_seconds=0.1, text="watermark again"
    )
    jobs = list(selectors.job_list_for_workspace(workspace=workspace, search="watermark"))
    assert [job.pk for job in jobs] == [made["lake"].pk]


def test_search_combines_with_the_other_filters(workspace, made):
    """A search and a status filter: both must hold."""
    assert _found(workspace, "a", status=Job.Status.SUCCEEDED) <= {made["lake"].pk}
    assert _found(workspace, "lake", status=Job.Status.SUCCEEDED) == {made["lake"].pk}
    assert _found(workspace, "shoe", status=Job.Status.SUCCEEDED) == set()


def test_search_never_reaches_another_workspace(workspace, made, other_user, camera_params):
    """Otto's workspace has a bottle too; maya's search does not see it, nor he hers."""
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from studio.forms.uploads import check_image

    upload = SimpleUploadedFile("p.png", make_png(), content_type="image/png")
    image = services.uploads.asset_create(
        workspace=theirs, user=other_user, upload=upload, image=check_image(upload)
    )
    params = dataclasses.replace(camera_params, prompt="their bottles")
    mine = services.jobs.job_submit(workspace=theirs, user=other_user, params=params, image=image)
    assert _found(workspace, "bottles") == {made["bottle"].pk}
    assert _found(theirs, "bottles") == {mine.pk}


@pytest.mark.parametrize("text", ["\x00", "a & | ! (", "'\"", "x" * 5000, "-bottles"])
def test_odd_text_is_searched_not_an_error(workspace, made, text):
    """Punctuation, quotes, a NUL and very long text are searched as words, never a 500."""
    _found(workspace, text)  # raises on a database error


def test_the_gallery_has_a_search_box_that_keeps_the_filters(member_client, workspace, made):
    """?q= shows the matches with a count; the box keeps the text, the pager the filters."""
    url = reverse("gallery", args=[workspace.pk])
    html = member_client.get(url, {"q": "watermark", "status": "succeeded"}).content.decode()
    assert 'id="gallery-search"' in html and 'value="watermark"' in html
    assert "1 video match “watermark”." in html
    assert f'data-job="{made["lake"].pk}"' in html
    assert f'data-job="{made["bottle"].pk}"' not in html
    empty = member_client.get(url, {"q": "nothing-like-this"}).content.decode()
    assert "No videos match." in empty


def test_a_non_member_cannot_search_the_gallery(client, workspace, made, other_user):
    """The gallery, search or not, is 404 for otto."""
    client.force_login(other_user)
    url = reverse("gallery", args=[workspace.pk])
    assert client.get(url, {"q": "bottles"}).status_code == 404


HARBOUR = """# Harbour bakery launch

Fresh sourdough leaves the oven at dawn.

Visit the quay this weekend.
"""


def test_it_finds_a_storyboards_video_by_its_title_and_its_scenes_words(workspace, user, made):
    """The storyboard's video (its assembly) is found by the title and by a scene's words; the
    storyboard's scene jobs are never listed."""
    from studio.services.storyboard_render import storyboard_render

    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=HARBOUR
    )
    render = storyboard_render(storyboard=storyboard, user=user)  # cards only: assembled at once
    (assembly,) = [output.job for output in render.outputs.all()]
    assert _found(workspace, "harbour") == {assembly.pk}  # the title
    assert _found(workspace, "sourdough") == {assembly.pk}  # a scene's voiceover
    assert _found(workspace, "quay weekend") == {assembly.pk}  # every word, in any scene
    assert _found(workspace, "sourdough bottles") == set()
    Storyboard.objects.filter(pk=storyboard.pk).update(title="Quayside opening")
    assert _found(workspace, "quayside") == {assembly.pk}  # the title as it is now
