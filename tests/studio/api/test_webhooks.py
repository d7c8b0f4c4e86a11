"""Webhook endpoints through the API: owners add one (its secret answered once) and delete it."""

from __future__ import annotations

import pytest

from studio import services
from studio.models import Membership, WebhookEndpoint
from tests.studio.api.conftest import TokenClient, field_codes
from tests.studio.api.test_jobs import post_json

pytestmark = pytest.mark.django_db
HOOKS = "/api/v1/webhooks/"
HOOK = {"url": "http://127.0.0.1:9/hooks", "events": ["job.succeeded", "video.approved"]}


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]


def test_an_owner_adds_an_endpoint_and_gets_its_secret_once(api):
    """201 with the secret; the list and the endpoint's own answer never show it again."""
    made = post_json(api, HOOKS, HOOK)
    assert made.status_code == 201, made.content
    body = made.json()
    assert (
        body["secret"] == WebhookEndpoint.objects.get().secret and body["events"] == HOOK["events"]
    )
    listed = api.get(HOOKS).json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in api.get(f"{HOOKS}{body['id']}/").json()


def test_an_address_inside_the_network_is_refused_on_its_field(api, settings):
    """The delivery guard runs at creation: a private address is a problem on `url`."""
    settings.WEBHOOK_ALLOW_HOSTS = []
    refused = post_json(api, HOOKS, {**HOOK, "url": "http://10.0.0.8/hooks"})
    assert refused.status_code == 400 and "url" in field_codes(refused)
    unknown = post_json(api, HOOKS, {**HOOK, "events": ["job.exploded"]})
    assert unknown.status_code == 400 and not WebhookEndpoint.objects.exists()


def test_an_editors_token_may_list_but_not_add_or_delete(workspace, user, other_user, api):
    """Managing endpoints is for owners; another member's write token is refused."""
    hook = post_json(api, HOOKS, HOOK).json()
    services.workspaces.membership_add(
        workspace=workspace, user=other_user, role=Membership.Role.OWNER
    )
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=other_user, name="E")
    # The token acts with its maker's role of the moment: now an editor's.
    services.workspaces.membership_add(
        workspace=workspace, user=other_user, role=Membership.Role.EDITOR
    )
    editor = TokenClient(raw)
    assert editor.get(HOOKS).status_code == 200
    assert post_json(editor, HOOKS, HOOK).status_code == 403
    assert editor.delete(f"{HOOKS}{hook['id']}/").status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_delete_removes_it_and_another_workspace_gets_404(api, other_api):
    """Another workspace's token cannot see or delete the endpoint; the owner's can."""
    hook = post_json(api, HOOKS, HOOK).json()
    assert other_api.get(f"{HOOKS}{hook['id']}/").status_code == 404
    assert other_api.delete(f"{HOOKS}{hook['id']}/").status_code == 404
    assert other_api.get(HOOKS).json() == []
    assert api.delete(f"{HOOKS}{hook['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
