"""The admin site lists what operators look after: style LoRAs, workspace styles, boards and
exports among them, each with its list and change page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studio import services
from studio.models import Board, WorkspaceStyle
from studio.services.styles import StyleSpec

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "r@example.com", "pw-long-1")
    client.force_login(root)
    return client


@pytest.mark.parametrize("model", ["stylelora", "workspacestyle", "board", "export"])
def test_it_lists_each_model(admin_client, model):
    """The model's list page opens for a superuser."""
    response = admin_client.get(reverse(f"admin:studio_{model}_changelist"))
    assert response.status_code == 200


def test_it_opens_a_workspace_style_and_a_board(admin_client, workspace, user):
    """Their change pages show the row's fields."""
    style: WorkspaceStyle = services.styles.workspace_style_create(
        workspace=workspace, user=user, spec=StyleSpec(name="Pastel", prompt="pastel palette")
    )
    board = Board.objects.create(workspace=workspace, name="Spring launch")
    page = admin_client.get(reverse("admin:studio_workspacestyle_change", args=[style.pk]))
    assert "pastel palette" in page.content.decode()
    page = admin_client.get(reverse("admin:studio_board_change", args=[board.pk]))
    assert "Spring launch" in page.content.decode()


def test_it_is_closed_to_members(member_client):
    """A workspace member who is no superuser is sent to the admin's sign-in."""
    response = member_client.get(reverse("admin:studio_stylelora_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
