"""API tokens: made by owners (page or command), shown once, stored hashed, revoked at once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from studio import services
from studio.models import ApiToken, Membership
from tests.studio.api.conftest import TokenClient

pytestmark = pytest.mark.django_db

ENGINES = "/api/v1/engines/"


def test_a_token_is_stored_only_as_a_hash_of_it(workspace, user):
    """The row keeps the token's first characters and its sha256, never the token."""
    token, raw = services.api_tokens.api_token_create(workspace=workspace, user=user, name="CRM")
    assert raw.startswith("rsk_") and len(raw) > 40
    assert token.prefix == raw[:12] and token.token_hash == ApiToken.hash_of(raw)
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_a_token_acts_as_its_member_and_notes_when_it_was_used(api, workspace, user):
    """A request with the token is answered, and the token's last use is recorded."""
    assert api.get(ENGINES).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_a_wrong_token_is_refused_with_a_problem(client):
    """An unknown token gets 401 problem details saying so, and asks for a bearer token."""
    response = TokenClient("rsk_not-a-token-of-ours-at-all").get(ENGINES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.json()
    assert body["status"] == 401 and body["detail"] == "That token is not a Reelsmith token."
    assert client.get(ENGINES).status_code == 401  # nobody at all


def test_a_revoked_token_stops_at_once(api, workspace):
    """Revoking takes effect on the very next request."""
    assert api.get(ENGINES).status_code == 200
    services.api_tokens.api_token_revoke(token=ApiToken.objects.get())
    response = api.get(ENGINES)
    assert response.status_code == 401 and response.json()["detail"] == "That token was revoked."


def test_an_expired_token_is_refused(api):
    """A token past its expiry no longer works."""
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get(ENGINES)
    assert response.status_code == 401 and response.json()["detail"] == "That token has expired."


def test_a_removed_members_token_stops_working(workspace, user, other_user):
    """A token acts as its member: once they leave the workspace, it is refused."""
    services.workspaces.membership_add(workspace=workspace, user=other_user, role="owner")
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=other_user, name="x")
    theirs = TokenClient(raw)
    assert theirs.get(ENGINES).status_code == 200
    services.workspaces.membership_remove(
        membership=Membership.objects.get(workspace=workspace, user=other_user)
    )
    assert theirs.get(ENGINES).status_code == 401


def test_only_owners_make_tokens(workspace, other_user):
    """An editor cannot make a token of the workspace."""
    services.workspaces.membership_add(workspace=workspace, user=other_user, role="editor")
    with pytest.raises(Exception, match="Only owners"):
        services.api_tokens.api_token_create(workspace=workspace, user=other_user, name="x")


def test_the_command_prints_the_token_alone_on_its_last_line(workspace, user):
    """`api_token create` prints a token that works, on its own last line."""
    out = StringIO()
    call_command(
        "api_token", "create", "--workspace", str(workspace.pk), "--user", "maya",
        "--name", "CI", "--scope", "read", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    raw = out.getvalue().strip().splitlines()[-1]
    assert TokenClient(raw).get(ENGINES).status_code == 200
    assert ApiToken.objects.get(name="CI").scope == "read"


def test_the_page_shows_a_new_token_once_and_lists_it(member_client, workspace):
    """Making a token on the page shows it once; the list shows its start, not the token."""
    url = reverse("api_tokens", args=[workspace.pk])
    response = member_client.post(url, {"name": "CRM sync", "scope": "write"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = response.context["created"]["raw"]
    assert raw in response.content.decode()
    again = member_client.get(url).content.decode()
    assert raw not in again and raw[:12] in again and "CRM sync" in again


def test_the_page_refuses_an_expiry_in_the_past(member_client, workspace):
    """An expiry of today or before is an error next to the field; nothing is made."""
    url = reverse("api_tokens", args=[workspace.pk])
    response = member_client.post(url, {"name": "x", "scope": "read", "expires": "2020-01-01"})
    assert response.status_code == 400
    assert response.context["form"].errors["expires"] == ["Pick a day after today."]
    assert not ApiToken.objects.exists()


def test_revoking_on_the_page_stops_the_token(member_client, workspace, api):
    """Revoke on the page, and the token's next request is refused."""
    token = ApiToken.objects.get()
    member_client.post(reverse("api_token_revoke", args=[workspace.pk, token.pk]))
    assert api.get(ENGINES).status_code == 401


def test_the_page_is_for_owners_only(client, workspace, other_user):
    """An editor gets 403; a stranger 404."""
    url = reverse("api_tokens", args=[workspace.pk])
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    services.workspaces.membership_add(workspace=workspace, user=other_user, role="editor")
    assert client.get(url).status_code == 403
