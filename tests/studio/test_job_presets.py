"""The editor's Quality / Fast choice: offered per engine, refused where absent, kept by the job."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from generation.engines import EngineSettings
from generation.testing import build_tiny_lora, build_tiny_wan
from studio import services
from studio.models import Job
from studio.params import JobParams
from studio.worker import run as worker_run

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def tiny_wan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny Wan 2.1 folder and a few-step LoRA for it, written once for this file."""
    root = tmp_path_factory.mktemp("preset-models")
    folder = build_tiny_wan(root / "wan")
    return folder, build_tiny_lora(folder, root / "fast.safetensors")


@pytest.fixture
def fast_engines(settings: Any, tiny_wan: tuple[Path, Path]) -> None:
    """Two engines on the same folder: fast-wan has the LoRA (Quality and Fast), plain-wan not."""
    folder, lora = tiny_wan
    settings.ENGINE_SETTINGS = EngineSettings(
        model_paths={"fast-wan": str(folder), "plain-wan": str(folder)},
        device="cpu",
        options={"fast-wan": {"fast-lora": str(lora)}},
    )


@pytest.fixture
def in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "mode": "text-to-video",
        "prompt": "a red ball bouncing",
        "negative_prompt": "",
        "engine": "fast-wan",
        "preset": "fast",
        "aspect": "1:1",
        "size": "small",
        "num_frames": "9",
        "fps": "16",
        "steps": "2",
        "guidance": "1",
        "seed": "3",
    }
    return {**data, **overrides}


def _params(**overrides: Any) -> JobParams:
    values: dict[str, Any] = {
        "mode": "text-to-video",
        "engine": "fast-wan",
        "prompt": "a red ball",
        "negative_prompt": "",
        "width": 32,
        "height": 32,
        "num_frames": 9,
        "fps": 16,
        "steps": 2,
        "guidance": 1.0,
        "seed": 1,
        "preset": "fast",
    }
    return JobParams(**{**values, **overrides})


def _option(html: str, engine: str) -> str:
    match = re.search(rf'<option value="{re.escape(engine)}"[^>]*>', html)
    assert match, engine
    return match.group(0)


def test_the_editor_offers_fast_only_for_an_engine_with_a_few_step_lora(
    member_client, workspace, fast_engines
):
    """Each engine lists its presets; Fast is there for the engine with a LoRA only."""
    html = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    assert 'data-presets="quality fast"' in _option(html, "fast-wan")
    assert 'data-fast-steps="4" data-fast-guidance="1.0"' in _option(html, "fast-wan")
    assert 'data-presets="quality"' in _option(html, "plain-wan")
    assert "data-fast-steps" not in _option(html, "plain-wan")
    assert 'data-presets="quality"' in _option(html, "camera-motion")
    assert 'name="preset" value="fast"' in html and 'name="preset" value="quality"' in html


def test_the_editor_has_no_fast_choice_when_no_engine_offers_it(member_client, workspace):
    """Without a few-step LoRA anywhere, only Quality is rendered."""
    html = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    assert 'name="preset" value="quality"' in html
    assert 'name="preset" value="fast"' not in html


@pytest.mark.parametrize("engine", ["plain-wan", "camera-motion"])
def test_a_preset_the_engine_does_not_offer_is_refused_next_to_the_field(
    member_client, workspace, fast_engines, no_queue, engine
):
    """Fast on an engine without a LoRA: the error sits by the preset, and nothing is stored."""
    mode = "image-to-video" if engine == "camera-motion" else "text-to-video"
    response = member_client.post(
        reverse("job_new", args=[workspace.pk]), _form(engine=engine, mode=mode)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-preset"' in html
    assert "has no Fast preset here; it offers Quality." in html
    assert Job.objects.count() == 0
    assert not no_queue.called


def test_a_form_without_a_preset_makes_a_quality_job(
    member_client, workspace, fast_engines, no_queue
):
    """A post that names no preset (an older page) gets Quality, as before presets existed."""
    data = _form()
    del data["preset"]
    response = member_client.post(reverse("job_new", args=[workspace.pk]), data)
    assert response.status_code == 302
    assert Job.objects.get().preset == "quality"


def test_a_fast_job_from_the_editor_runs_the_engine_with_its_lora(
    member_client, workspace, fast_engines, no_queue, in_memory_layer
):
    """The preset goes from the form to the row, then into the engine's request, and runs."""
    response = member_client.post(reverse("job_new", args=[workspace.pk]), _form())
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.preset == "fast"
    real = worker_run._run_pipeline
    with mock.patch("studio.worker.run._run_pipeline", side_effect=real) as pipeline:
        worker_run.job_run(job_id=job.pk, worker="test-host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    request = pipeline.call_args.args[1]
    assert request.preset == "fast"


def test_the_service_refuses_fast_for_an_engine_without_it(workspace, user, fast_engines, no_queue):
    """job_submit checks the preset too, so no caller can queue what a worker would refuse."""
    with pytest.raises(ValidationError, match="no Fast preset here"):
        services.jobs.job_submit(workspace=workspace, user=user, params=_params(engine="plain-wan"))
    assert Job.objects.count() == 0


def test_a_rerun_and_a_template_keep_the_preset(workspace, user, fast_engines, no_queue):
    """Re-running, saving as a template and using the template all keep Fast."""
    job = services.jobs.job_submit(workspace=workspace, user=user, params=_params())
    assert services.jobs.job_rerun(job=job, user=user, same_seed=False).preset == "fast"
    template = services.templates.template_create_from_job(job=job, user=user, name="Ball")
    assert template.preset == "fast"
    made = services.templates.template_submit(
        template=template, workspace=workspace, user=user, values={}
    )
    assert made.preset == "fast"


def test_fast_and_quality_jobs_do_not_share_footage(workspace, user, fast_engines, no_queue):
    """The preset changes the footage, so it is part of the generation key."""
    fast = services.jobs.job_submit(workspace=workspace, user=user, params=_params())
    quality = services.jobs.job_submit(
        workspace=workspace, user=user, params=_params(preset="quality")
    )
    assert fast.generation_key != quality.generation_key


def _template(workspace: Any, user: Any, *, engine: str, preset: str) -> Any:
    job = services.jobs.job_submit(
        workspace=workspace, user=user, params=_params(engine="fast-wan", preset=preset)
    )
    template = services.templates.template_create_from_job(job=job, user=user, name="Ball")
    template.engine = engine
    template.save()
    return template


def test_the_template_form_sets_the_preset_that_its_batches_use(
    member_client, workspace, user, fast_engines, no_queue
):
    """A template of an engine with Fast offers the choice; its fills and batch rows follow it."""
    template = _template(workspace, user, engine="fast-wan", preset="quality")
    url = reverse("template_edit", args=[workspace.pk, template.pk])
    html = member_client.get(url).content.decode()
    assert 'name="preset" value="fast"' in html
    response = member_client.post(
        url, {"name": "Ball", "prompt": template.prompt, "preset": "fast"}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.preset == "fast"
    params, _ = services.templates.template_params(template=template, values={})
    assert params.preset == "fast"


def test_a_template_cannot_be_set_to_a_preset_its_engine_does_not_offer(
    member_client, workspace, user, fast_engines, no_queue
):
    """Without a LoRA the page offers no choice (a posted one is ignored), and the service
    refuses Fast, saying what the engine offers, without changing the template."""
    from django.core.exceptions import ValidationError

    template = _template(workspace, user, engine="plain-wan", preset="quality")
    url = reverse("template_edit", args=[workspace.pk, template.pk])
    assert 'name="preset"' not in member_client.get(url).content.decode()
    response = member_client.post(url, {"name": "Renamed", "prompt": "a ball", "preset": "fast"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.preset == "quality" and template.name == "Renamed"
    with pytest.raises(ValidationError, match="no Fast preset here; it offers Quality"):
        services.templates.template_update(
            template=template,
            name="Again",
            description="",
            prompt="a ball",
            negative_prompt="",
            script="",
            overlays={},
            preset="fast",
        )
    template.refresh_from_db()
    assert template.preset == "quality" and template.name == "Renamed"
