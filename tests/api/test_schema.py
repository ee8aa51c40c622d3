"""The OpenAPI 3 schema: valid, every operation described, every operation exercised; docs served locally."""

import re

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from stations.models import ImportRecord
from tests import factories
from tests.csv_helpers import csv_bytes

CODE = "K7P2-93QX"


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {(path, method) for path, item in schema["paths"].items() for method in item if method in methods}


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_every_operation_has_a_summary_and_a_description(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and not (operation.get("description") or "").strip()
    ]
    assert missing == [], f"operations without a description: {missing}"


def test_every_operation_requires_the_bearer_token(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for path, method in _operations(schema):
        assert schema["paths"][path][method]["security"] == [{"bearerAuth": []}], (path, method)


# One successful call per operation of the schema. A new endpoint fails the coverage test below until it
# gets a recipe here: (request method and URL, body, the status it answers).


def _station(tenant, station_id="SCHEMA-1"):
    return factories.make_two_spec_station(tenant, station_id=station_id)


def _body(station_id="SCHEMA-1"):
    return {**factories.station_data(station_id=station_id), "connectors": [factories.spec_data()]}


RECIPES = {
    ("/api/v1/stations/", "get"): lambda api, tenant: (api.get("/api/v1/stations/?status=inactive"), 200),
    ("/api/v1/stations/", "post"): lambda api, tenant: (
        api.post("/api/v1/stations/", _body("NEW-1"), format="json"),
        201,
    ),
    ("/api/v1/stations/{station_id}/", "get"): lambda api, tenant: (
        _station(tenant) and api.get("/api/v1/stations/SCHEMA-1/"),
        200,
    ),
    ("/api/v1/stations/{station_id}/", "put"): lambda api, tenant: (
        _station(tenant) and api.put("/api/v1/stations/SCHEMA-1/", _body(), format="json"),
        200,
    ),
    ("/api/v1/stations/{station_id}/", "delete"): lambda api, tenant: (
        _station(tenant) and api.delete("/api/v1/stations/SCHEMA-1/"),
        204,
    ),
    ("/api/v1/stations/{station_id}/ocpi/evses/", "get"): lambda api, tenant: (
        _station(tenant) and api.get("/api/v1/stations/SCHEMA-1/ocpi/evses/"),
        200,
    ),
    ("/api/v1/imports/", "get"): lambda api, tenant: (api.get("/api/v1/imports/"), 200),
    ("/api/v1/imports/", "post"): lambda api, tenant: (
        api.post("/api/v1/imports/?dry_run=false", csv_bytes(), content_type="text/csv"),
        201,
    ),
    ("/api/v1/imports/{id}/", "get"): lambda api, tenant: (
        _station(tenant) and api.get(f"/api/v1/imports/{ImportRecord.objects.get().pk}/"),
        200,
    ),
    ("/api/v1/activations/", "post"): lambda api, tenant: (
        _station(tenant)
        and api.post(
            "/api/v1/activations/", {"station_id": "SCHEMA-1", "security_code": CODE}, format="json"
        ),
        200,
    ),
}


def test_every_operation_in_the_schema_is_exercised(schema):
    assert _operations(schema) == set(RECIPES)


@pytest.mark.parametrize("operation", sorted(RECIPES), ids=lambda op: f"{op[1].upper()} {op[0]}")
def test_operation_answers_a_documented_success(api, tenant, schema, operation):
    response, expected = RECIPES[operation](api, tenant)
    assert response.status_code == expected, getattr(response, "data", response)
    path, method = operation
    assert str(expected) in schema["paths"][path][method]["responses"]


def test_docs_page_uses_only_local_assets(db, client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    # Assets: what the page loads (scripts, stylesheets, icon); its <a> links back to the product are not.
    references = re.findall(r'src="([^"]+)"', html) + re.findall(r'<link[^>]*href="([^"]+)"', html)
    assert references, html
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert any("swagger-ui" in src for src in scripts)
    for url in references:
        assert url.startswith("/static/") or url.startswith("/api/v1/"), url
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/").split("?")[0]), url
    # No inline script: the page's own setup comes from a URL too (a Content-Security-Policy without
    # 'unsafe-inline' allows it).
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html)
    # Nor an inline <style>, which style-src 'self' refuses.
    assert "<style" not in html


def test_docs_page_says_what_to_do_without_javascript_and_leads_back(db, client):
    html = client.get("/api/v1/docs/").content.decode()
    assert '<html lang="en">' in html
    noscript = html[html.index("<noscript>") : html.index("</noscript>")]
    assert "needs JavaScript" in noscript
    assert 'href="/api/v1/schema/"' in noscript
    assert 'href="/account/api-tokens/"' in html


def test_docs_script_loads_the_schema_from_this_server(db, client):
    response = client.get("/api/v1/docs/", {"script": ""})
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    script = response.content.decode()
    assert "/api/v1/schema/" in script
    assert "http://" not in script
    assert "https://" not in script
