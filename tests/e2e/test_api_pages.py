"""The API's pages in a real Chromium, under the studio's Content Security Policy: the docs
(Swagger UI from the studio's own static files) and the owners' API tokens page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from studio import services
from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def enforcing_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _sign_in(page: Any, live_server_url: str) -> None:
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")


def test_an_owner_makes_a_token_sees_it_once_and_revokes_it(
    enforcing_page: Any, live_server_url: str, django_user_model: Any
) -> None:
    """Members → API tokens → make one: it is shown once and works; after Revoke it is
    refused, and the list says so."""
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    page = enforcing_page
    page.add_init_script(WATCH)
    _sign_in(page, live_server_url)
    page.goto(f"{live_server_url}/w/{workspace.pk}/members/")
    page.click("text=API tokens")
    page.fill("input[name=name]", "CRM sync")
    page.check("input[name=scope][value=read]")
    page.click("button:has-text('Make token')")
    raw = page.inner_text("#new-token").strip()
    shot(page, "api-tokens-made")
    engines = f"{live_server_url}/api/v1/engines/"
    bearer = {"Authorization": f"Bearer {raw}"}
    assert requests.get(engines, headers=bearer, timeout=10).status_code == 200
    page.goto(f"{live_server_url}/w/{workspace.pk}/api-tokens/")
    assert raw not in page.content() and raw[:12] in page.content()
    page.click("button:has-text('Revoke')")
    page.wait_for_selector("text=revoked: it no longer works")
    shot(page, "api-tokens-revoked")
    assert requests.get(engines, headers=bearer, timeout=10).status_code == 401
    assert page.evaluate("window.__csp") == []


def test_the_docs_render_under_the_policy_from_local_files(
    enforcing_page: Any, live_server_url: str, django_user_model: Any
) -> None:
    """Signed in, /api/v1/docs/ lists the jobs operations; every request stayed on the
    studio's origin and nothing broke the policy."""
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    services.workspaces.workspace_ensure_personal(user=user)
    page = enforcing_page
    origins: set[str] = set()
    page.on("request", lambda request: origins.add(request.url.split("/")[2]))
    page.add_init_script(WATCH)
    _sign_in(page, live_server_url)
    response = page.goto(f"{live_server_url}/api/v1/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    page.wait_for_selector("text=/api/v1/jobs/", timeout=20_000)
    page.wait_for_timeout(300)
    shot(page, "api-docs")
    assert page.locator(".opblock").count() > 10
    assert page.evaluate("window.__csp") == []
    assert origins == {live_server_url.split("/")[2]}
