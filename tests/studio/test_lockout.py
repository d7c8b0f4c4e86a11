"""Sign-in lockout (django-axes): repeated wrong passwords lock the username on that address
for the cool-off, on the studio's sign-in page and the admin's, with a page saying when to
try again."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

WRONG = {"username": "maya", "password": "not-the-passphrase"}
RIGHT = {"username": "maya", "password": "a-long-passphrase"}


@pytest.fixture
def admin_user(user: Any) -> Any:
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_repeated_wrong_passwords_lock_the_sign_in_with_when_to_try_again(client, user, settings):
    """After the failure limit even the right password is refused: 429, the lockout page with
    the cool-off, and Retry-After."""
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, WRONG).status_code == 200
    response = client.post(url, WRONG)
    assert response.status_code == 429
    assert "Try again in 15 minutes." in response.content.decode()
    assert response["Retry-After"] == "900"
    locked = client.post(url, RIGHT)
    assert locked.status_code == 429 and "_auth_user_id" not in client.session


def test_a_lockout_holds_one_username_on_one_address(client, user, other_user, settings):
    """Another user, or the same user from another address, can still sign in."""
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, WRONG)
    assert (
        client.post(url, {"username": "otto", "password": "a-long-passphrase"}).status_code == 302
    )
    client.logout()
    assert client.post(url, RIGHT, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_the_failure_limit_and_cool_off_come_from_settings(client, user, settings):
    """A lower limit locks sooner; the page states the configured cool-off."""
    from datetime import timedelta

    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=3)
    url = reverse("login")
    assert client.post(url, WRONG).status_code == 200
    response = client.post(url, WRONG)
    assert response.status_code == 429
    assert "Try again in 3 minutes." in response.content.decode()
    assert response["Retry-After"] == "180"


def test_the_admin_sign_in_is_locked_out_too(client, admin_user, settings):
    """The admin's own sign-in page counts the same failures."""
    url = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, WRONG).status_code == 200
    assert client.post(url, WRONG).status_code == 429
    response = client.post(url, {**RIGHT, "next": "/admin/"})
    assert response.status_code == 429 and "Try again in" in response.content.decode()
