"""The OpenAPI schema validates with no warning, and the docs are served from our own files."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


def test_the_schema_validates_with_no_warning(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` passes."""
    out = tmp_path / "schema.yml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=StringIO()
    )
    text = out.read_text()
    assert "/api/v1/jobs/{job_id}/cancel/" in text and "workspaceToken" in text


@pytest.mark.django_db
def test_the_schema_is_served_to_a_token(api):
    """GET /api/v1/schema/ answers the OpenAPI document."""
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.django_db
def test_the_docs_load_swagger_ui_from_local_static_files(member_client):
    """The docs page names no CDN: Swagger UI comes from the studio's static files."""
    response = member_client.get("/api/v1/docs/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
