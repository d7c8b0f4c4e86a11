"""Team workspaces: owners add teammates with a role; roles decide who may do what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from studio import services
from studio.models import Membership, Workspace

pytestmark = pytest.mark.django_db


def test_creating_a_workspace_makes_its_creator_owner(member_client, user):
    """A new team workspace has its creator as owner and opens its members page."""
    response = member_client.post(reverse("workspace_new"), {"name": "Launch team"})
    team = Workspace.objects.get(name="Launch team")
    assert response["Location"] == reverse("members", args=[team.pk])
    assert Membership.objects.get(workspace=team).role == "owner"


def test_an_owner_adds_a_teammate_who_then_sees_the_workspace(member_client, workspace, other_user):
    """After being added, the teammate reaches the gallery that was a 404 before."""
    gallery = reverse("gallery", args=[workspace.pk])
    client = Client()
    client.force_login(other_user)
    assert client.get(gallery).status_code == 404
    response = member_client.post(
        reverse("members", args=[workspace.pk]), {"username": "otto", "role": "viewer"}
    )
    assert response.status_code == 302
    assert client.get(gallery).status_code == 200
    assert Membership.objects.get(workspace=workspace, user=other_user).role == "viewer"


def test_the_answer_is_the_same_whether_or_not_the_username_exists(
    member_client, workspace, other_user
):
    """Adding a username nobody has answers exactly as adding one who exists, so the form
    cannot be used to learn who has an account; only the real one is added."""
    url = reverse("members", args=[workspace.pk])
    answers = []
    for username in ("nobody", "otto"):
        response = member_client.post(url, {"username": username, "role": "editor"}, follow=True)
        notes = [str(m) for m in response.context["messages"]]
        answers.append((response.redirect_chain, [n.replace(username, "?") for n in notes]))
    assert answers[0] == answers[1] and answers[0][0] == [(url, 302)]
    assert answers[0][1] == ["If ? has an account, they are now a member (editor)."]
    assert list(
        Membership.objects.filter(workspace=workspace)
        .values_list("user__username", flat=True)
        .order_by("user__username")
    ) == ["maya", "otto"]


def test_an_editor_cannot_add_members(client, workspace, other_user, django_user_model):
    """Only owners manage members."""
    services.workspaces.membership_add(workspace=workspace, user=other_user, role="editor")
    django_user_model.objects.create_user(username="third", password="a-long-passphrase")
    client.force_login(other_user)
    response = client.post(
        reverse("members", args=[workspace.pk]), {"username": "third", "role": "owner"}
    )
    assert response.status_code == 403
    assert Membership.objects.filter(workspace=workspace).count() == 2


def test_the_last_owner_cannot_leave(member_client, workspace, user):
    """A workspace always keeps an owner."""
    mine = Membership.objects.get(workspace=workspace, user=user)
    member_client.post(reverse("member_remove", args=[workspace.pk, mine.pk]))
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_an_owner_removed_from_their_personal_workspace_does_not_get_it_back(
    client, django_user_model, other_user
):
    """Removed by a co-owner, a personal workspace's first owner gets a new one next visit."""
    owner = django_user_model.objects.create_user(username="pia", password="a-long-passphrase")
    personal = services.workspaces.workspace_ensure_personal(user=owner)
    services.workspaces.membership_add(workspace=personal, user=other_user, role="owner")
    removed = Membership.objects.get(workspace=personal, user=owner)
    services.workspaces.membership_remove(membership=removed)

    client.force_login(owner)
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("gallery", args=[personal.pk])).status_code == 404
    assert not Membership.objects.filter(workspace=personal, user=owner).exists()
    fresh = Membership.objects.get(user=owner)
    assert fresh.workspace != personal and fresh.role == "owner"


def test_a_non_member_cannot_see_or_change_members(client, workspace, other_user):
    """The members page and its actions are 404 to outsiders."""
    mine = Membership.objects.get(workspace=workspace)
    client.force_login(other_user)
    assert client.get(reverse("members", args=[workspace.pk])).status_code == 404
    url = reverse("member_remove", args=[workspace.pk, mine.pk])
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=mine.pk).exists()
