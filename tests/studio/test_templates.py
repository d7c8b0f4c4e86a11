"""Templates: placeholders, the built-in library, filling a template, saving one from a job."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from studio import placeholders, services
from studio.models import Job, Membership, Template, Workspace
from tests.conftest import make_png

pytestmark = pytest.mark.django_db

FIELDS = [
    {
        "name": "first_name",
        "label": "First name",
        "type": "text",
        "required": True,
        "max_length": 20,
    },
    {"name": "company", "label": "Company", "type": "text", "required": False, "max_length": 40},
]


@pytest.fixture
def own_template(workspace: Workspace) -> Template:
    return Template.objects.create(
        workspace=workspace,
        name="Hello card",
        mode="image-to-video",
        engine="camera-motion",
        prompt="zoom in on a card for {first_name} at {company}",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        seed=3,
        fields=FIELDS,
        overlays={"lower_third": {"name": "{first_name}", "company": "{company}"}},
    )


def _builtin(name: str) -> Template:
    return Template.objects.get(workspace=None, name=name)


# Placeholders --------------------------------------------------------------------------------


def test_it_fills_every_placeholder():
    """Each {name} is replaced by its value; text without braces is left alone."""
    assert placeholders.fill(
        "Hi {first_name} of {company}!", {"first_name": "Ana", "company": "Acme"}
    ) == ("Hi Ana of Acme!")


def test_a_value_with_braces_is_not_filled_again():
    """A value that itself looks like a placeholder is inserted as written."""
    assert placeholders.fill("{a}", {"a": "{b}"}) == "{b}"


def test_it_names_an_unknown_placeholder():
    """Filling a text that uses a placeholder with no value names it."""
    with pytest.raises(ValidationError) as caught:
        placeholders.fill("Hi {first_name} from {team}", {"first_name": "Ana"})
    assert caught.value.code == "unknown_placeholder"
    assert "{team}" in caught.value.messages[0] and "{first_name}" not in caught.value.messages[0]


def test_it_names_every_missing_required_value():
    """Missing required values are listed by name; optional ones may be blank."""
    with pytest.raises(ValidationError) as caught:
        placeholders.check_values(placeholders.check_fields(FIELDS), {"company": "Acme"})
    assert caught.value.code == "missing_placeholder"
    assert "{first_name}" in caught.value.messages[0]
    assert placeholders.check_values(FIELDS, {"first_name": " Ana "}) == {
        "first_name": "Ana",
        "company": "",
    }


def test_it_rejects_a_value_over_the_fields_limit():
    """A value longer than its field's maximum length is refused, by name."""
    with pytest.raises(ValidationError) as caught:
        placeholders.check_values(FIELDS, {"first_name": "A" * 21})
    assert caught.value.code == "value_too_long" and "{first_name}" in caught.value.messages[0]


def test_a_template_may_only_use_declared_placeholders():
    """Every placeholder in a template's texts must be one of its fields."""
    with pytest.raises(ValidationError) as caught:
        placeholders.check_known(["{first_name} and {cta}", "{oops}"], FIELDS)
    assert "{cta}, {oops}" in caught.value.messages[0]


def test_it_rejects_bad_field_definitions():
    """Field names must be identifiers, types known, lengths sensible."""
    for bad, code in [
        ([{"name": "first name"}], "bad_field_name"),
        ([{"name": "a", "type": "video"}], "bad_field_type"),
        ([{"name": "a", "max_length": 0}], "bad_field_length"),
        ([{"name": "a"}, {"name": "a"}], "duplicate_field"),
        ([{"name": "image"}], "reserved_field_name"),
    ]:
        with pytest.raises(ValidationError) as caught:
            placeholders.check_fields(bad)
        assert caught.value.code == code


# The built-in library ------------------------------------------------------------------------


def test_the_library_has_the_six_builtin_templates():
    """The data migration seeds the six named recipes, each consistent with its fields."""
    names = set(Template.objects.filter(workspace=None).values_list("name", flat=True))
    assert {
        "Product showcase",
        "Explainer opener",
        "Talking-head sales intro",
        "Vertical social ad",
        "Event promo",
        "Customer-quote card",
    } <= names
    for template in Template.objects.filter(workspace=None):
        fields = placeholders.check_fields(template.fields)
        placeholders.check_known(services.templates._template_texts(template), fields)
        assert template.width % 16 == 0 and template.height % 16 == 0
    assert _builtin("Vertical social ad").aspect == "9:16"


def test_the_library_page_shows_builtins_and_the_workspaces_own(
    member_client, workspace, own_template
):
    """Members see built-in templates and their workspace's, filterable by kind and aspect."""
    url = reverse("template_library", args=[workspace.pk])
    html = member_client.get(url).content.decode()
    assert "Product showcase" in html and "Hello card" in html
    html = member_client.get(url, {"aspect": "9:16"}).content.decode()
    assert "Vertical social ad" in html and "Product showcase" not in html
    html = member_client.get(url, {"mode": "image-to-video"}).content.decode()
    assert "Product showcase" in html and "Event promo" not in html


def test_the_dashboard_links_to_the_templates(member_client, workspace):
    """The dashboard links to the library."""
    html = member_client.get(reverse("workspace_dashboard", args=[workspace.pk])).content.decode()
    assert reverse("template_library", args=[workspace.pk]) in html


# Filling a template --------------------------------------------------------------------------


def test_the_fill_form_has_one_input_per_field(member_client, workspace, own_template):
    """The form is generated from the template's fields, plus the image it animates."""
    html = member_client.get(
        reverse("template_use", args=[workspace.pk, own_template.pk])
    ).content.decode()
    assert 'name="first_name"' in html and 'name="company"' in html and 'name="image"' in html
    assert "First name" in html


def test_filling_a_template_queues_a_job_with_the_values(
    member_client, workspace, own_template, no_queue
):
    """The filled prompt and overlays are stored on the job, which records its template."""
    response = member_client.post(
        reverse("template_use", args=[workspace.pk, own_template.pk]),
        {
            "first_name": "Ana",
            "company": "Acme",
            "image": SimpleUploadedFile("card.png", make_png(), content_type="image/png"),
        },
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("job_detail", args=[workspace.pk, job.pk])
    assert job.prompt == "zoom in on a card for Ana at Acme"
    assert job.overlays == {"lower_third": {"name": "Ana", "company": "Acme"}}
    assert job.template == own_template and job.seed == 3 and job.image is not None


def test_a_missing_required_value_is_shown_and_queues_nothing(
    member_client, workspace, own_template, no_queue
):
    """A blank required field is an error next to it; no job, no upload."""
    response = member_client.post(
        reverse("template_use", args=[workspace.pk, own_template.pk]),
        {
            "company": "Acme",
            "image": SimpleUploadedFile("c.png", make_png(), content_type="image/png"),
        },
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Job.objects.exists() and no_queue.call_count == 0


def test_an_unknown_placeholder_in_a_template_is_named(workspace, user, own_template, no_queue):
    """A template whose prompt uses an undeclared placeholder cannot be filled; it says which."""
    Template.objects.filter(pk=own_template.pk).update(prompt="hello {first_name} {mystery}")
    own_template.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.templates.template_params(template=own_template, values={"first_name": "Ana"})
    assert "{mystery}" in caught.value.messages[0]


def test_a_talking_head_template_needs_a_presenter(member_client, workspace, no_queue):
    """Without an avatar in the workspace the form says to add one, next to the field."""
    template = _builtin("Talking-head sales intro")
    values = {"first_name": "Ana", "sender_name": "Bo", "company": "Acme", "cta": "Call us"}
    response = member_client.post(reverse("template_use", args=[workspace.pk, template.pk]), values)
    assert response.status_code == 400
    assert "Add a portrait to your avatars first" in response.content.decode()
    assert not Job.objects.exists()


def test_a_builtin_image_template_makes_a_job_with_the_default_size(
    member_client, workspace, no_queue
):
    """The product showcase fills its prompt and keeps its end card's call to action."""
    template = _builtin("Product showcase")
    response = member_client.post(
        reverse("template_use", args=[workspace.pk, template.pk]),
        {
            "product": "the red sneaker",
            "cta": "Shop now",
            "image": SimpleUploadedFile("shoe.png", make_png(), content_type="image/png"),
        },
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.prompt == "slow zoom in on the red sneaker, clean studio light"
    assert (job.width, job.height) == (896, 512) and job.engine == "camera-motion"
    assert job.overlays["end_card"]["cta"] == "Shop now"


def test_a_viewer_sees_a_template_but_cannot_make_a_video(
    client, other_user, workspace, own_template, no_queue
):
    """Viewers read the form; posting it is refused."""
    services.workspaces.membership_add(
        workspace=workspace, user=other_user, role=Membership.Role.VIEWER
    )
    client.force_login(other_user)
    url = reverse("template_use", args=[workspace.pk, own_template.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"first_name": "Ana"}).status_code == 403
    assert not Job.objects.exists()


# Saving and editing --------------------------------------------------------------------------


def test_save_as_template_copies_a_finished_jobs_recipe(member_client, workspace, video):
    """A finished job becomes a workspace template with its settings and seed."""
    job = video.job
    response = member_client.post(
        reverse("template_save_from_job", args=[workspace.pk, job.pk]), {"name": "Zoom recipe"}
    )
    template = Template.objects.get(workspace=workspace)
    assert response["Location"] == reverse("template_edit", args=[workspace.pk, template.pk])
    assert (template.name, template.prompt, template.seed) == ("Zoom recipe", job.prompt, job.seed)
    assert (template.mode, template.engine, template.aspect) == (job.mode, job.engine, "1:1")
    assert template.source_job == job and template.fields == []


def test_the_job_page_offers_save_as_template_once_finished(member_client, workspace, video):
    """The button appears on a succeeded job's page."""
    html = member_client.get(
        reverse("job_detail", args=[workspace.pk, video.job_id])
    ).content.decode()
    assert "Save as template" in html


def test_a_running_job_cannot_be_saved_as_a_template(member_client, workspace, job):
    """Only succeeded jobs are templates' sources."""
    member_client.post(
        reverse("template_save_from_job", args=[workspace.pk, job.pk]), {"name": "x"}
    )
    assert not Template.objects.filter(workspace=workspace).exists()


def test_editing_adds_a_field_for_each_new_placeholder(member_client, workspace, own_template):
    """Placeholders typed into the prompt or overlays become fields; unused ones go."""
    response = member_client.post(
        reverse("template_edit", args=[workspace.pk, own_template.pk]),
        {
            "name": "Hello card v2",
            "prompt": "zoom in on {first_name}'s {product}",
            "end_card_cta": "{cta}",
            **_field_inputs(own_template),
        },
    )
    assert response.status_code == 302
    own_template.refresh_from_db()
    assert [f["name"] for f in own_template.fields] == ["first_name", "product", "cta"]
    assert own_template.fields[0]["label"] == "First name"  # the kept definition
    assert own_template.fields[1] == {
        "name": "product",
        "label": "Product",
        "type": "text",
        "required": True,
        "max_length": 100,
    }
    assert own_template.overlays == {"end_card": {"cta": "{cta}"}}


def _field_inputs(template: Template) -> dict[str, object]:
    inputs: dict[str, object] = {}
    for f in template.fields:
        inputs[f"field_{f['name']}_label"] = f["label"]
        inputs[f"field_{f['name']}_type"] = f["type"]
        inputs[f"field_{f['name']}_max_length"] = f["max_length"]
        if f["required"]:
            inputs[f"field_{f['name']}_required"] = "on"
    return inputs


def test_editing_sets_a_fields_label_type_required_and_length(
    member_client, workspace, own_template
):
    """Each field's definition is edited on the page; the fill form follows it."""
    url = reverse("template_edit", args=[workspace.pk, own_template.pk])
    html = member_client.get(url).content.decode()
    assert 'name="field_first_name_label"' in html and 'name="field_company_required"' in html
    inputs = _field_inputs(own_template)
    inputs.update(
        {
            "field_first_name_label": "Prospect's first name",
            "field_company_type": "long_text",
            "field_company_max_length": "300",
        }
    )
    inputs.pop("field_first_name_required", None)
    response = member_client.post(
        url, {"name": own_template.name, "prompt": own_template.prompt, **inputs}
    )
    assert response.status_code == 302
    own_template.refresh_from_db()
    first, company = own_template.fields
    assert first["label"] == "Prospect's first name" and first["required"] is False
    assert company["type"] == "long_text" and company["max_length"] == 300
    html = member_client.get(
        reverse("template_use", args=[workspace.pk, own_template.pk])
    ).content.decode()
    assert "Prospect&#x27;s first name" in html and "<textarea" in html


def test_builtin_templates_cannot_be_edited(member_client, workspace):
    """The edit page of a built-in template is a 404."""
    template = _builtin("Event promo")
    assert (
        member_client.get(reverse("template_edit", args=[workspace.pk, template.pk])).status_code
        == 404
    )


# Isolation -----------------------------------------------------------------------------------


def test_another_workspace_cannot_reach_a_template(client, other_user, workspace, own_template):
    """A non-member gets 404 on the library, the template and its edit page; another
    workspace's members cannot open it through their own workspace either."""
    client.force_login(other_user)
    urls = [
        reverse("template_library", args=[workspace.pk]),
        reverse("template_use", args=[workspace.pk, own_template.pk]),
        reverse("template_edit", args=[workspace.pk, own_template.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in urls[1:]:
        assert client.post(url, {}).status_code == 404, url
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    assert client.get(reverse("template_use", args=[theirs.pk, own_template.pk])).status_code == 404
    html = client.get(reverse("template_library", args=[theirs.pk])).content.decode()
    assert "Hello card" not in html and "Product showcase" in html


def test_variants_make_several_seeds_of_one_request(
    member_client, workspace, own_template, no_queue
):
    """An A/B fill with 3 variants queues three jobs with consecutive seeds, grouped."""
    response = member_client.post(
        reverse("template_use", args=[workspace.pk, own_template.pk]),
        {
            "first_name": "Ana",
            "variants": "3",
            "image": SimpleUploadedFile("card.png", make_png(), content_type="image/png"),
        },
    )
    assert response.status_code == 302
    first, *others = Job.objects.order_by("pk")
    assert [j.seed for j in (first, *others)] == [3, 4, 5]
    assert {j.prompt for j in others} == {first.prompt}
    assert all(j.variant_of == first for j in others) and first.variant_of is None
    assert len({j.generation_key for j in (first, *others)}) == 3
    html = member_client.get(reverse("job_detail", args=[workspace.pk, others[1].pk])).content
    assert b"Variants" in html and b"seed 3" in html and b"seed 5" in html


def test_too_many_variants_are_refused(member_client, workspace, own_template, no_queue):
    """At most four variants."""
    response = member_client.post(
        reverse("template_use", args=[workspace.pk, own_template.pk]),
        {
            "first_name": "Ana",
            "variants": "9",
            "image": SimpleUploadedFile("card.png", make_png(), content_type="image/png"),
        },
    )
    assert response.status_code == 400 and not Job.objects.exists()


def test_a_template_naming_no_engine_runs_at_its_engines_recommended_settings():
    """A built-in text-to-video recipe takes the default engine's steps and guidance (the
    embedded model's 10 and 2), not the 20 and 5 every recipe was stored with."""
    from generation.engines.embedded import RECOMMENDED

    template = _builtin("Vertical social ad")
    assert template.engine == "" and (template.steps, template.guidance) == (20, 5.0)
    params, _ = services.templates.template_params(
        template=template, values={"product": "a red ball", "cta": "Buy now"}
    )
    assert params.engine == "embedded"
    assert (params.steps, params.guidance) == (RECOMMENDED["steps"], RECOMMENDED["guidance"])
    assert (params.num_frames, params.fps) == (template.num_frames, template.fps)


def test_a_template_naming_its_engine_keeps_its_own_settings(own_template):
    """A recipe made for one engine runs at the steps and guidance it was saved with."""
    params, _ = services.templates.template_params(
        template=own_template, values={"first_name": "Ana"}
    )
    assert (params.steps, params.guidance) == (1, 0.0)
