"""Style LoRAs: owners upload them, checked against a model; editors run jobs with one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from generation.engines import EngineSettings
from generation.testing import build_random_wan_lora, build_tiny_lora, build_tiny_wan
from studio import services
from studio.models import Job, Membership, StyleLora, Template, Workspace
from studio.params import JobParams
from studio.worker import run as worker_run
from tests.studio.api.conftest import TokenClient, field_codes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny Wan 2.1 folder, a LoRA made for it, and one for a deeper model (4 blocks)."""
    root = tmp_path_factory.mktemp("style-models")
    folder = build_tiny_wan(root / "wan")
    deeper = {"num_layers": 4, "num_attention_heads": 2, "attention_head_dim": 12}
    return {
        "model": folder,
        "lora": build_tiny_lora(folder, root / "neon.safetensors", seed=1),
        "deep": build_random_wan_lora(deeper, root / "deep.safetensors"),
    }


@pytest.fixture
def wan(settings: Any, files: dict[str, Path]) -> None:
    settings.ENGINE_SETTINGS = EngineSettings(
        model_paths={"wan": str(files["model"])}, device="cpu"
    )


@pytest.fixture
def editor_client(other_user: Any, workspace: Workspace) -> Client:
    """Its own client, so a test can hold an owner's and an editor's at once."""
    Membership.objects.create(workspace=workspace, user=other_user, role=Membership.Role.EDITOR)
    client = Client()
    client.force_login(other_user)
    return client


def _upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def _lora(workspace: Workspace, user: Any, files: dict[str, Path]) -> StyleLora:
    return services.style_loras.style_lora_create(
        workspace=workspace, user=user, name="Neon", engine="wan", upload=_upload(files["lora"])
    )


def _params(**changes: Any) -> JobParams:
    values: dict[str, Any] = {
        "mode": "text-to-video",
        "engine": "wan",
        "prompt": "a ball",
        "negative_prompt": "",
        "width": 32,
        "height": 32,
        "num_frames": 9,
        "fps": 16,
        "steps": 2,
        "guidance": 1.0,
        "seed": 1,
    }
    return JobParams(**{**values, **changes})


def _stored_loras(workspace: Workspace) -> list[str]:
    """The LoRA files stored for the workspace (media lasts the test session)."""
    folder = f"workspaces/{workspace.pk}/loras"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


def _job_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "mode": "text-to-video",
        "prompt": "a red ball bouncing",
        "engine": "wan",
        "aspect": "1:1",
        "size": "small",
        "num_frames": "9",
        "fps": "16",
        "steps": "2",
        "guidance": "1",
        "seed": "3",
    }
    return {**data, **overrides}


def test_an_owner_uploads_a_lora_that_fits_and_members_see_it(
    member_client, editor_client, workspace, user, wan, files
):
    """The LoRA is checked against the model, stored with its family and layers, and listed."""
    url = reverse("style_loras", args=[workspace.pk])
    response = member_client.post(
        url, {"name": "Neon", "engine": "wan", "file": _upload(files["lora"])}
    )
    assert response.status_code == 302
    lora = StyleLora.objects.get()
    assert (lora.family, lora.engine, lora.created_by) == ("wan2.1", "wan", user)
    assert lora.layers_summary.startswith("16 layers (attn1.to_k")
    assert default_storage.open(lora.file.name).read() == files["lora"].read_bytes()
    html = editor_client.get(url).content.decode()
    assert "Neon" in html and "Wan 2.1" in html and "16 layers" in html
    assert 'id="style-lora-form"' not in html  # an editor sees, an owner uploads


def test_an_editor_cannot_upload_a_lora(editor_client, workspace, wan, files):
    """Only owners add LoRAs: an editor's post is refused and nothing is stored."""
    response = editor_client.post(
        reverse("style_loras", args=[workspace.pk]),
        {"name": "Neon", "engine": "wan", "file": _upload(files["lora"])},
    )
    assert response.status_code == 403
    assert StyleLora.objects.count() == 0


def test_a_lora_for_other_layers_is_refused_next_to_the_file(member_client, workspace, wan, files):
    """A LoRA for a deeper model is refused with the layers the model lacks; nothing is kept."""
    stored_before = _stored_loras(workspace)
    response = member_client.post(
        reverse("style_loras", args=[workspace.pk]),
        {"name": "Deep", "engine": "wan", "file": _upload(files["deep"])},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-file"' in html
    assert "This LoRA is for other layers than Wan 2.1" in html
    assert "blocks.2.attn1.to_k" in html and "not found" in html
    assert StyleLora.objects.count() == 0
    assert _stored_loras(workspace) == stored_before


def test_a_file_that_is_not_safetensors_is_refused(member_client, workspace, wan, files):
    """The same bytes named .pt are refused without being read: safetensors only."""
    response = member_client.post(
        reverse("style_loras", args=[workspace.pk]),
        {"name": "Neon", "engine": "wan", "file": _upload(files["lora"], "neon.pt")},
    )
    assert response.status_code == 400
    assert "safetensors only" in response.content.decode()
    assert StyleLora.objects.count() == 0


def test_a_lora_over_the_size_limit_is_refused(workspace, user, wan, files, monkeypatch):
    """The service refuses a file over limits.MAX_STYLE_LORA_BYTES before reading it."""
    from generation import limits

    monkeypatch.setattr(limits, "MAX_STYLE_LORA_BYTES", 1024)
    with pytest.raises(ValidationError, match="a LoRA may be at most 0 MB") as refused:
        _lora(workspace, user, files)
    assert refused.value.code == "lora_too_large"


def test_an_editor_picks_a_lora_and_its_strength_for_a_job(
    editor_client, workspace, user, wan, files, no_queue
):
    """The editor lists the workspace's LoRAs; the job keeps the one picked and its strength,
    and its footage is not shared with the same request without the LoRA."""
    lora = _lora(workspace, user, files)
    url = reverse("job_new", args=[workspace.pk])
    html = editor_client.get(url).content.decode()
    assert f'<option value="{lora.pk}">Neon (Wan 2.1)</option>' in html
    response = editor_client.post(url, _job_form(style_lora=lora.pk, style_lora_strength="0.6"))
    assert response.status_code == 302, response.content.decode()
    styled = Job.objects.get()
    assert (styled.style_lora, styled.style_lora_strength) == (lora, 0.6)
    assert editor_client.post(url, _job_form()).status_code == 302
    plain = Job.objects.exclude(pk=styled.pk).get()
    assert plain.style_lora is None
    assert plain.generation_key != styled.generation_key


def test_a_rerun_keeps_the_lora_and_its_strength(workspace, user, wan, files, no_queue):
    """Making a job again makes it with the same look, as strong."""
    lora = _lora(workspace, user, files)
    job = services.jobs.job_submit(
        workspace=workspace,
        user=user,
        params=_params(style_lora_id=lora.pk, style_lora_strength=1.5),
    )
    again = services.jobs.job_rerun(job=job, user=user, same_seed=True)
    assert (again.style_lora, again.style_lora_strength) == (lora, 1.5)
    assert again.generation_key == job.generation_key


def test_another_workspace_s_lora_is_refused(
    editor_client, workspace, other_user, wan, files, no_queue
):
    """A LoRA of a workspace the editor's job is not in is not a choice, in the form or the
    service."""
    theirs = Workspace.objects.create(name="Another team")
    lora = _lora(theirs, other_user, files)
    response = editor_client.post(
        reverse("job_new", args=[workspace.pk]), _job_form(style_lora=lora.pk)
    )
    assert response.status_code == 400
    assert 'id="error-style_lora"' in response.content.decode()
    params = _params(style_lora_id=lora.pk)
    with pytest.raises(ValidationError) as refused:
        services.jobs.job_submit(workspace=workspace, user=other_user, params=params)
    assert refused.value.code == "lora_unknown"
    assert Job.objects.count() == 0


def test_a_lora_for_another_family_is_refused_next_to_the_field(
    editor_client, workspace, user, wan, files, no_queue
):
    """A LoRA recorded for LTX-Video cannot run on the Wan model: the error sits by the LoRA."""
    lora = _lora(workspace, user, files)
    StyleLora.objects.filter(pk=lora.pk).update(family="ltx-video")
    response = editor_client.post(
        reverse("job_new", args=[workspace.pk]), _job_form(style_lora=lora.pk)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-style_lora"' in html
    assert "This LoRA is for LTX-Video models; this model is Wan 2.1." in html
    assert Job.objects.count() == 0


def test_a_lora_on_an_engine_without_layers_is_refused_next_to_the_field(
    editor_client, workspace, user, wan, files, no_queue
):
    """Camera motion has no transformer: picking a LoRA for it is refused by the LoRA."""
    lora = _lora(workspace, user, files)
    data = _job_form(style_lora=lora.pk, engine="camera-motion", mode="image-to-video")
    response = editor_client.post(reverse("job_new", args=[workspace.pk]), data)
    assert response.status_code == 400
    assert "takes no style LoRA" in response.content.decode()


@pytest.mark.parametrize("strength", ["-0.1", "2.5"])
def test_a_strength_outside_0_to_2_is_refused_next_to_it(
    editor_client, workspace, user, wan, files, no_queue, strength
):
    """The strength is 0 to 2 (params.STYLE_LORA_STRENGTHS)."""
    lora = _lora(workspace, user, files)
    data = _job_form(style_lora=lora.pk, style_lora_strength=strength)
    response = editor_client.post(reverse("job_new", args=[workspace.pk]), data)
    assert response.status_code == 400
    assert 'id="error-style_lora_strength"' in response.content.decode()


def test_the_lora_file_is_served_to_members_only(
    member_client, workspace, user, other_user, wan, files
):
    """A member downloads it; someone outside the workspace gets 404."""
    lora = _lora(workspace, user, files)
    url = reverse("file", kwargs={"name": lora.file.name})
    assert member_client.get(url).status_code == 200
    outsider = Client()
    outsider.force_login(other_user)
    assert outsider.get(url).status_code == 404


def test_an_owner_deletes_a_lora_once_no_queued_job_uses_it(
    member_client, workspace, user, wan, files, no_queue, django_capture_on_commit_callbacks
):
    """While a queued job uses it, delete is refused; once it is done, file and row go."""
    lora = _lora(workspace, user, files)
    name = lora.file.name
    job = services.jobs.job_submit(
        workspace=workspace,
        user=user,
        params=_params(style_lora_id=lora.pk),
    )
    url = reverse("style_lora_delete", args=[workspace.pk, lora.pk])
    member_client.post(url)
    assert StyleLora.objects.filter(pk=lora.pk).exists()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):  # files go once the row has gone
        member_client.post(url)
    assert not StyleLora.objects.filter(pk=lora.pk).exists()
    assert not default_storage.exists(name)


def test_a_job_with_a_lora_runs_it_on_the_worker(
    editor_client, workspace, user, wan, files, no_queue, settings, tmp_path
):
    """The worker copies the LoRA by its hash and hands it to the engine with the strength."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.STYLE_LORA_CACHE_DIR = str(tmp_path / "loras")
    lora = _lora(workspace, user, files)
    data = _job_form(style_lora=lora.pk, style_lora_strength="0.5")
    assert editor_client.post(reverse("job_new", args=[workspace.pk]), data).status_code == 302
    job = Job.objects.get()
    real = worker_run._run_pipeline
    with mock.patch("studio.worker.run._run_pipeline", side_effect=real) as pipeline:
        worker_run.job_run(job_id=job.pk, worker="test-host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    request = pipeline.call_args.args[1]
    assert request.style_lora == tmp_path / "loras" / f"{lora.sha256}.safetensors"
    assert request.style_lora.read_bytes() == files["lora"].read_bytes()
    assert request.style_lora_strength == 0.5


# Templates ------------------------------------------------------------------------------------


def _wan_template(workspace: Workspace) -> Template:
    return Template.objects.create(
        workspace=workspace,
        name="Neon ball",
        mode="text-to-video",
        engine="wan",
        prompt="a ball",
        width=32,
        height=32,
        num_frames=9,
        fps=16,
        steps=2,
        guidance=1.0,
    )


def test_a_template_saved_from_a_job_keeps_its_lora_and_its_videos_use_it(
    workspace, user, wan, files, no_queue
):
    """Save as template keeps the job's LoRA and strength; a video made from it runs with them."""
    lora = _lora(workspace, user, files)
    params = _params(style_lora_id=lora.pk, style_lora_strength=0.7)
    job = services.jobs.job_submit(workspace=workspace, user=user, params=params)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    job.refresh_from_db()
    template = services.templates.template_create_from_job(job=job, user=user, name="Neon ball")
    assert (template.style_lora, template.style_lora_strength) == (lora, 0.7)
    made = services.templates.template_submit(
        template=template, workspace=workspace, user=user, values={}
    )
    assert (made.style_lora, made.style_lora_strength) == (lora, 0.7)


def test_the_template_editor_sets_a_lora_and_its_strength(
    member_client, workspace, user, wan, files, no_queue
):
    """The edit page offers the workspace's LoRAs; the choice is saved and shown on its use page."""
    lora = _lora(workspace, user, files)
    template = _wan_template(workspace)
    edit = reverse("template_edit", args=[workspace.pk, template.pk])
    assert (
        f'<option value="{lora.pk}">Neon (Wan 2.1)</option>'
        in member_client.get(edit).content.decode()
    )
    data = {"name": "Neon ball", "prompt": "a ball", "style_lora": lora.pk}
    assert member_client.post(edit, data | {"style_lora_strength": "1.4"}).status_code == 302
    template.refresh_from_db()
    assert (template.style_lora, template.style_lora_strength) == (lora, 1.4)
    params, _ = services.templates.template_params(template=template, values={})
    assert (params.style_lora_id, params.style_lora_strength) == (lora.pk, 1.4)
    use = member_client.get(reverse("template_use", args=[workspace.pk, template.pk]))
    assert 'id="template-style-lora">Neon (Wan 2.1) at strength 1.4<' in use.content.decode()
    assert member_client.post(edit, data | {"style_lora": ""}).status_code == 302
    template.refresh_from_db()
    assert template.style_lora is None


def test_the_template_editor_refuses_a_lora_that_does_not_fit_next_to_the_field(
    member_client, workspace, user, other_user, wan, files
):
    """Another family's LoRA, or another workspace's: 400 by the LoRA select, nothing saved."""
    lora = _lora(workspace, user, files)
    StyleLora.objects.filter(pk=lora.pk).update(family="ltx-video")
    theirs = _lora(Workspace.objects.create(name="Another team"), other_user, files)
    template = _wan_template(workspace)
    edit = reverse("template_edit", args=[workspace.pk, template.pk])
    data = {"name": "Renamed", "prompt": "a ball"}
    response = member_client.post(edit, data | {"style_lora": lora.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-style_lora"' in html
    assert "This LoRA is for LTX-Video models; this model is Wan 2.1." in html
    response = member_client.post(edit, data | {"style_lora": theirs.pk})
    assert response.status_code == 400
    assert "No style LoRA of this workspace is that one." in response.content.decode()
    template.refresh_from_db()
    assert (template.name, template.style_lora) == ("Neon ball", None)


# The API --------------------------------------------------------------------------------------


def _api(workspace: Workspace, user: Any) -> TokenClient:
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=user, name="CRM")
    return TokenClient(raw)


API_JOB = {
    "mode": "text-to-video",
    "engine": "wan",
    "prompt": "a ball",
    "width": 64,
    "height": 64,
    "frames": 9,
    "fps": 16,
    "steps": 2,
    "guidance": 1.0,
}


def _post(api: TokenClient, body: dict[str, Any]) -> Any:
    return api.post("/api/v1/jobs/", json.dumps(body), content_type="application/json")


def test_the_api_takes_a_lora_and_its_strength(workspace, user, wan, files, no_queue):
    """POST /api/v1/jobs/ with style_lora and style_lora_strength: the job keeps them."""
    lora = _lora(workspace, user, files)
    response = _post(
        _api(workspace, user), API_JOB | {"style_lora": lora.pk, "style_lora_strength": 0.6}
    )
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.style_lora, job.style_lora_strength) == (lora, 0.6)
    parameters = response.json()["parameters"]
    assert (parameters["style_lora"], parameters["style_lora_strength"]) == (lora.pk, 0.6)


def test_the_api_refuses_another_workspaces_lora_as_a_field_problem(
    workspace, user, other_user, wan, files, no_queue
):
    """Another workspace's LoRA id is a problem on style_lora; no job is made."""
    theirs = _lora(Workspace.objects.create(name="Another team"), other_user, files)
    response = _post(_api(workspace, user), API_JOB | {"style_lora": theirs.pk})
    assert response.status_code == 400
    assert field_codes(response) == {"style_lora": "invalid_choice"}
    assert not Job.objects.exists()


def test_the_api_refuses_a_lora_of_another_family_as_a_field_problem(
    workspace, user, wan, files, no_queue
):
    """A LoRA for LTX-Video asked of the Wan model: a problem on style_lora saying so."""
    lora = _lora(workspace, user, files)
    StyleLora.objects.filter(pk=lora.pk).update(family="ltx-video")
    response = _post(_api(workspace, user), API_JOB | {"style_lora": lora.pk})
    assert response.status_code == 400
    assert field_codes(response) == {"style_lora": "lora_unfit"}
    detail = response.json()["errors"][0]["detail"]
    assert detail == "This LoRA is for LTX-Video models; this model is Wan 2.1."
    assert not Job.objects.exists()


def test_the_api_refuses_a_strength_outside_0_to_2(workspace, user, wan, files, no_queue):
    """The strength is 0 to 2, as in the editor."""
    lora = _lora(workspace, user, files)
    response = _post(
        _api(workspace, user), API_JOB | {"style_lora": lora.pk, "style_lora_strength": 3}
    )
    assert response.status_code == 400
    assert field_codes(response) == {"style_lora_strength": "max_value"}
