"""Round 2's new surface under attack: the API, check-then-import, the Imports pages, labels, the admin's
Import filter, tokens and workbook uploads, with two tenants (A: North Charge, B: South Volt), an operator
of each, a support user, an account without a membership and a staff user without permissions.

Each test states what must hold (SPEC §1–§9); the ones that failed when written are findings, fixed.
"""

import io
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke
from stations import csv_import, services
from stations.choices import ImportSource
from stations.models import ImportRecord, LabelPrint, Station
from tests import factories
from tests.csv_helpers import csv_bytes, row

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture(autouse=True)
def clear_cache(db):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def station_a(tenant, operator):
    return factories.make_station(tenant, operator, station_id="ALPHA-1", manufacturer="Alfen")


@pytest.fixture
def check_a(tenant, operator):
    """A passed Check only of tenant A, its file kept (as the upload page leaves it)."""
    data = csv_bytes(row(Station_ID="CHECKED-A"))
    plan = csv_import.parse(data, tenant=tenant)
    result = services.stations_import(
        tenant=tenant, user=operator, plan=plan, source=ImportSource.UPLOAD, file_name="a.csv", dry_run=True
    )
    services.import_record_keep_file(record=result.record, data=data)
    return result.record


@pytest.fixture
def import_a(tenant, operator, station_a):
    """A failed upload of tenant A (with an error list) and a successful one (with stations)."""
    data = csv_bytes(row(Station_ID="IMPORTED-A"))
    plan = csv_import.parse(data, tenant=tenant)
    return services.stations_import(
        tenant=tenant, user=operator, plan=plan, source=ImportSource.UPLOAD, file_name="good.csv"
    ).record


@pytest.fixture
def failed_a(tenant, operator):
    data = csv_bytes(row(Station_ID="BAD A", Voltage="=cmd|' /C calc'!A0"))
    plan = csv_import.parse(data, tenant=tenant)
    return services.stations_import(
        tenant=tenant, user=operator, plan=plan, source=ImportSource.UPLOAD, file_name="bad.csv"
    ).record


@pytest.fixture
def b_client(other_operator):
    client = Client()
    client.force_login(other_operator)
    return client


@pytest.fixture
def b_api(other_operator):
    return bearer(api_token_create(user=other_operator, name="b")[1])


@pytest.fixture
def a_api(operator):
    return bearer(api_token_create(user=operator, name="a")[1])


@pytest.fixture
def loner(db):
    """A signed-up account without any membership (may activate, nothing else)."""
    return get_user_model().objects.create_user(username="loner", password=factories.PASSWORD)


@pytest.fixture
def bare_staff(db):
    """A staff user in no group and without permissions."""
    return get_user_model().objects.create_user(username="bare", password=factories.PASSWORD, is_staff=True)


# -- Tenant isolation on the pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["stations:import_detail", "stations:import_plan", "stations:upload_errors", "stations:import_labels"],
)
def test_another_tenants_record_is_404_on_every_page(b_client, import_a, failed_a, check_a, name):
    for record in (import_a, failed_a, check_a):
        response = b_client.get(reverse(name, args=[record.pk]))
        assert response.status_code == 404, (name, record.pk)
    assert not LabelPrint.objects.exists()


def test_another_tenants_kept_file_cannot_be_imported(b_client, check_a):
    response = b_client.post(reverse("stations:import_checked", args=[check_a.pk]))
    assert response.status_code == 404
    assert not Station.objects.filter(station_id="CHECKED-A").exists()
    check_a.refresh_from_db()
    assert check_a.kept_file is not None


def test_support_cannot_import_a_tenants_kept_file_into_nowhere(client, support, check_a):
    client.force_login(support)
    response = client.post(reverse("stations:import_checked", args=[check_a.pk]))
    assert response.status_code in (403, 404)
    assert not Station.objects.filter(station_id="CHECKED-A").exists()


def test_imports_list_shows_only_the_own_tenants_records(b_client, import_a, failed_a, check_a):
    response = b_client.get(reverse("stations:imports"))
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("good.csv", "bad.csv", "a.csv"):
        assert name not in body
    for record in (import_a, failed_a, check_a):
        assert reverse("stations:import_detail", args=[record.pk]) not in body


def test_the_admins_import_filter_shows_nothing_of_another_tenant(b_client, import_a, tenant, other_tenant):
    factories.make_station(other_tenant, station_id="BRAVO-1")
    url = reverse("admin:stations_station_changelist") + f"?last_import__id__exact={import_a.pk}"
    response = b_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "IMPORTED-A" not in body
    assert "BRAVO-1" not in body
    assert "good.csv" not in body
    for bad in ("abc", "-1", "1 OR 1=1", str(import_a.pk) + "x"):
        response = b_client.get(reverse("admin:stations_station_changelist"), {"last_import__id__exact": bad})
        assert response.status_code in (200, 302)
        assert "IMPORTED-A" not in response.content.decode()


def test_admin_label_print_of_another_tenants_station_prints_nothing(b_client, station_a):
    response = b_client.post(
        reverse("admin:stations_station_changelist"),
        {"action": "print_labels_sheet", "_selected_action": [station_a.pk]},
    )
    assert response.get("Content-Type") != "application/pdf"
    assert not LabelPrint.objects.exists()


# -- Tenant isolation in the API ---------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["ALPHA-1", "alpha-1", "Alpha-1", "ALPHA-1%20", "%20alpha-1"])
def test_another_tenants_station_by_any_spelling_is_404(b_api, station_a, spelling):
    base = f"/api/v1/stations/{spelling}/"
    assert b_api.get(base).status_code == 404
    assert b_api.get(base + "ocpi/evses/").status_code == 404
    assert b_api.delete(base).status_code == 404
    body = {"manufacturer": "Evil", "security_code": "EVIL-CODE", "wifi_supported": True, "connectors": []}
    assert b_api.put(base, body, format="json").status_code in (400, 404)
    station_a.refresh_from_db()
    assert station_a.manufacturer == "Alfen"


def test_put_on_another_tenants_station_with_a_valid_body_is_404(b_api, station_a):
    body = {
        "manufacturer": "Evil",
        "security_code": "EVIL-CODE",
        "wifi_supported": True,
        "gsm_supported": False,
        "connectors": [factories.spec_data()],
    }
    response = b_api.put("/api/v1/stations/alpha-1/", body, format="json")
    assert response.status_code == 404
    station_a.refresh_from_db()
    assert station_a.manufacturer == "Alfen"


def test_creating_another_tenants_station_id_reveals_nothing(b_api, station_a):
    body = {
        "station_id": "alpha-1",
        "security_code": "EVIL-CODE",
        "manufacturer": "Evil",
        "wifi_supported": True,
        "connectors": [factories.spec_data()],
    }
    response = b_api.post("/api/v1/stations/", body, format="json")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Alfen" not in text
    assert "North" not in text
    assert "ALPHA-1" not in text


def test_api_lists_and_filters_never_show_another_tenant(b_api, station_a, import_a, failed_a):
    stations = b_api.get("/api/v1/stations/", {"status": "inactive"}).json()
    assert stations["results"] == []
    records = b_api.get("/api/v1/imports/").json()
    assert records["results"] == []
    for record in (import_a, failed_a):
        assert b_api.get(f"/api/v1/imports/{record.pk}/").status_code == 404


def test_a_tampered_cursor_is_refused_and_shows_nothing(b_api, station_a):
    import base64

    for raw in ("o=0&p=", "p=ALPHA&r=1", "p=%00", "p=\x00"):
        cursor = base64.b64encode(raw.encode()).decode()
        response = b_api.get("/api/v1/stations/", {"cursor": cursor})
        assert response.status_code in (200, 404)
        assert "ALPHA-1" not in response.content.decode()
    for raw in ("p=\x00", "p=A%00"):
        response = b_api.get("/api/v1/imports/", {"cursor": base64.b64encode(raw.encode()).decode()})
        assert response.status_code in (200, 404)
    response = b_api.get("/api/v1/stations/", {"cursor": "!!!not-base64"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_api_import_cannot_override_another_tenants_station(b_api, station_a):
    response = b_api.post("/api/v1/imports/", csv_bytes(row(Station_ID="alpha-1")), content_type="text/csv")
    assert response.status_code == 422
    assert "Alfen" not in response.content.decode()
    station_a.refresh_from_db()
    assert station_a.tenant.slug == "north-charge"


# -- Authentication and permissions ------------------------------------------------------------------


def test_revoked_garbage_and_foreign_format_tokens_are_401_json(operator, station_a):
    record, token = api_token_create(user=operator, name="old")
    api_token_revoke(token=record)
    for header in (
        f"Bearer {token}",
        "Bearer si_garbage",
        "Bearer " + "x" * 5000,
        "Bearer",
        "Bearer a b",
        f"Token {token}",
        "Basic b2xpdmlhOmEtdGVzdC1wYXNzd29yZA==",
        "Bearer \u00e9\u00e9",
    ):
        client = APIClient()
        response = client.get("/api/v1/stations/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response["Content-Type"].startswith("application/json"), header
        assert "code" in response.json(), header


def test_a_signed_in_session_does_not_authenticate_the_api(operator_client, station_a):
    response = operator_client.get("/api/v1/stations/")
    assert response.status_code == 401
    response = operator_client.delete("/api/v1/stations/ALPHA-1/")
    assert response.status_code == 401
    assert Station.objects.filter(station_id="ALPHA-1").exists()


def test_accounts_without_permissions_get_403_or_nothing(loner, bare_staff, station_a):
    for user in (loner, bare_staff):
        api = bearer(api_token_create(user=user, name="x")[1])
        assert api.get("/api/v1/stations/").status_code == 403
        assert api.get("/api/v1/stations/ALPHA-1/").status_code == 403
        assert api.get("/api/v1/imports/").status_code == 403
        response = api.post("/api/v1/imports/", csv_bytes(row(Station_ID="X1")), content_type="text/csv")
        assert response.status_code == 403
    assert not Station.objects.filter(station_id="X1").exists()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("stations:imports", "get"),
        ("stations:import_detail", "get"),
        ("stations:import_plan", "get"),
        ("stations:upload_errors", "get"),
        ("stations:import_labels", "get"),
        ("stations:import_checked", "post"),
    ],
)
def test_pages_need_login_and_permission(client, loner, bare_staff, check_a, name, method):
    args = [] if name == "stations:imports" else [check_a.pk]
    url = reverse(name, args=args)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert "login" in response["Location"]
    for user in (loner, bare_staff):
        client.force_login(user)
        response = getattr(client, method)(url)
        assert response.status_code in (403, 404), (name, user)
    assert not LabelPrint.objects.exists()
    check_a.refresh_from_db()
    assert check_a.kept_file is not None


def test_token_page_needs_login(client):
    response = client.get(reverse("api:tokens"))
    assert response.status_code == 302


def test_token_create_revoke_and_check_then_import_need_csrf(operator, check_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post(reverse("api:tokens"), {"name": "csrf"}).status_code == 403
    assert not ApiToken.objects.filter(name="csrf").exists()
    record, _token = api_token_create(user=operator, name="keep")
    assert client.post(reverse("api:token_revoke", args=[record.pk])).status_code == 403
    record.refresh_from_db()
    assert record.revoked_at is None
    assert client.post(reverse("stations:import_checked", args=[check_a.pk])).status_code == 403
    assert not Station.objects.filter(station_id="CHECKED-A").exists()


def test_admin_label_action_needs_csrf(operator, station_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post(
        reverse("admin:stations_station_changelist"),
        {"action": "print_labels_sheet", "_selected_action": [station_a.pk]},
    )
    assert response.status_code == 403
    assert not LabelPrint.objects.exists()


def test_another_users_token_cannot_be_revoked(client, operator, other_operator):
    record, _token = api_token_create(user=operator, name="mine")
    client.force_login(other_operator)
    assert client.post(reverse("api:token_revoke", args=[record.pk])).status_code == 404
    record.refresh_from_db()
    assert record.revoked_at is None
    assert "mine" not in client.get(reverse("api:tokens")).content.decode()


def test_token_is_shown_once_and_stored_hashed(operator_client, operator):
    response = operator_client.post(reverse("api:tokens"), {"name": "once"})
    assert response.status_code == 200
    token = re.search(r"si_[A-Za-z0-9_-]{20,}", response.content.decode()).group()
    assert "no-store" in response["Cache-Control"]
    assert token not in operator_client.get(reverse("api:tokens")).content.decode()
    record = ApiToken.objects.get(name="once")
    assert token not in (record.digest, record.prefix)
    assert len(record.prefix) < 12
    for field in ApiToken._meta.concrete_fields:
        assert token not in str(getattr(record, field.attname))
    assert bearer(token).get("/api/v1/stations/").status_code == 200


# -- Escaping -------------------------------------------------------------------------------------------

EVIL = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def test_token_name_is_escaped(operator_client):
    response = operator_client.post(reverse("api:tokens"), {"name": EVIL[:60]})
    body = response.content.decode()
    assert "<img src=x" not in body
    assert "<script>alert" not in body


@pytest.mark.parametrize(
    "file_name",
    [
        EVIL + ".csv",
        '../../etc/passwd";\r\nSet-Cookie: x=1.csv',
        "a\r\nContent-Type: text/html\r\n\r\n<b>x</b>.csv",
        "naïve “quoted” ;name.csv",
    ],
)
def test_file_names_are_escaped_on_pages_and_in_headers(operator_client, tenant, operator, file_name):
    data = csv_bytes(row(Station_ID="NAME-1", Voltage="9999"))
    plan = csv_import.parse(data, tenant=tenant)
    record = services.stations_import(
        tenant=tenant, user=operator, plan=plan, source=ImportSource.API, file_name=file_name
    ).record
    for url in (reverse("stations:imports"), reverse("stations:import_detail", args=[record.pk])):
        body = operator_client.get(url).content.decode()
        assert "<img src=x" not in body
        assert "<script>alert" not in body
        assert "<b>x</b>" not in body
    for name in ("stations:upload_errors", "stations:import_plan"):
        response = operator_client.get(reverse(name, args=[record.pk]))
        assert response.status_code == 200
        header = response["Content-Disposition"]
        assert "\r" not in header
        assert "\n" not in header
        assert response.get("Set-Cookie") is None
        assert not response.cookies
        assert response["Content-Type"].startswith("text/csv")
        assert header.startswith("attachment;")
        # The name has no way out of its quoted string or its filename* encoding.
        assert re.fullmatch(
            r'attachment; filename(="[^"\\]*"|\*=utf-8\'\'[A-Za-z0-9%._~!$&\'()*+,;=:@-]+)', header
        ), header


def test_user_text_is_escaped_on_the_import_detail_page(operator_client, tenant, operator):
    data = csv_bytes(row(Station_ID="ESC-1", Manufacturer=EVIL, Voltage="<b>bold</b>"))
    plan = csv_import.parse(data, tenant=tenant)
    record = services.stations_import(
        tenant=tenant, user=operator, plan=plan, source=ImportSource.UPLOAD, file_name="e.csv"
    ).record
    body = operator_client.get(reverse("stations:import_detail", args=[record.pk])).content.decode()
    assert "<b>bold</b>" not in body
    assert "<img src=x" not in body


def test_error_and_plan_csvs_neutralise_formulas_under_any_separator(
    operator_client, failed_a, tenant, operator
):
    body = operator_client.get(reverse("stations:upload_errors", args=[failed_a.pk])).content.decode(
        "utf-8-sig"
    )
    for separator in (",", ";", "\t"):
        for line in body.splitlines():
            for cell in line.split(separator):
                cell = cell.strip('"')
                assert cell[:1] not in ("=", "+", "-", "@"), (separator, cell)
    plan_record = services.stations_import(
        tenant=tenant,
        user=operator,
        plan=csv_import.parse(csv_bytes(row(Station_ID="+SUM(A1)")), tenant=tenant),
        source=ImportSource.UPLOAD,
        dry_run=True,
    ).record
    body = operator_client.get(reverse("stations:import_plan", args=[plan_record.pk])).content.decode(
        "utf-8-sig"
    )
    for line in body.splitlines():
        for cell in re.split("[,;\t]", line):
            assert cell.strip('"')[:1] not in ("=", "+", "-", "@"), cell


def test_labels_pdf_takes_markup_in_user_text(operator_client, tenant, operator):
    factories.make_station(
        tenant,
        operator,
        station_id="PDF-1",
        manufacturer='<font size="900">&amp;</b>',
        article_number="<para>",
    )
    record = services.stations_import(
        tenant=tenant,
        user=operator,
        plan=csv_import.parse(csv_bytes(row(Station_ID="PDF-2", Manufacturer="<b>&lt;")), tenant=tenant),
        source=ImportSource.UPLOAD,
    ).record
    response = operator_client.get(reverse("stations:import_labels", args=[record.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert "\n" not in response["Content-Disposition"]


# -- Resource abuse ----------------------------------------------------------------------------------


def test_api_import_raw_body_over_the_limit_is_refused(a_api, settings):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 1000
    big = csv_bytes(*[row(Station_ID=f"BIG{i}") for i in range(40)])
    assert len(big) > 1000
    response = a_api.post("/api/v1/imports/", big, content_type="text/csv")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "file_too_large"
    assert not Station.objects.filter(station_id="BIG0").exists()


def test_api_import_multipart_over_the_limit_is_refused(a_api, settings):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 1000
    big = csv_bytes(*[row(Station_ID=f"BIG{i}") for i in range(40)])
    response = a_api.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("big.csv", big)}, format="multipart"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "file_too_large"


def test_api_import_file_name_with_nul_is_not_a_500(a_api):
    response = a_api.post(
        "/api/v1/imports/?file_name=a%00b" + "x" * 400 + ".csv",
        csv_bytes(row(Station_ID="NUL-1")),
        content_type="text/csv",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"
    assert not Station.objects.filter(station_id="NUL-1").exists()


def test_api_is_throttled_per_token(operator, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/minute"}}
    first = bearer(api_token_create(user=operator, name="t1")[1])
    second = bearer(api_token_create(user=operator, name="t2")[1])
    codes = [first.get("/api/v1/stations/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert second.get("/api/v1/stations/").status_code == 200


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(a_api):
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b" " * (60 * 1024 * 1024)})
    assert len(bomb) < 200_000
    response = a_api.post("/api/v1/imports/", bomb, content_type="application/octet-stream")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "workbook_too_large"


def test_an_ods_with_huge_repeated_rows_and_columns_is_refused(a_api):
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        b'<office:body><office:spreadsheet><table:table table:name="S">'
        b'<table:table-row table:number-rows-repeated="1048576">'
        b'<table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
        b"<text:p>x</text:p></table:table-cell></table:table-row>"
        b"</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr(
            "META-INF/manifest.xml",
            b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            b'<manifest:file-entry manifest:full-path="/" '
            b'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            b"</manifest:manifest>",
        )
    response = a_api.post("/api/v1/imports/", out.getvalue(), content_type="application/octet-stream")
    assert response.status_code == 422
    assert response.json()["errors"], response.json()


# -- NUL characters (PostgreSQL refuses them in text: a 500 unless refused first) ----------------------


def test_a_station_id_with_nul_in_the_url_is_400_json(a_api, station_a):
    for response in (
        a_api.get("/api/v1/stations/ALPHA%00-1/"),
        a_api.get("/api/v1/stations/%00/ocpi/evses/"),
        a_api.delete("/api/v1/stations/%00/"),
    ):
        assert response.status_code == 400
        assert response.json()["code"] == "nul_character"
    assert Station.objects.filter(station_id="ALPHA-1").exists()


def test_a_csv_with_nul_in_a_station_id_is_an_error_not_a_500(a_api, operator_client, station_a):
    data = csv_bytes(row(Station_ID="NUL\x00ID"), row(Station_ID="alpha-1\x00"))
    response = a_api.post("/api/v1/imports/", data, content_type="text/csv")
    assert response.status_code == 422
    response = operator_client.post(reverse("stations:upload"), {"file": SimpleUploadedFile("n.csv", data)})
    assert response.status_code == 422


def test_nul_in_the_admin_search_and_filters_is_not_a_500(operator_client, station_a):
    url = reverse("admin:stations_station_changelist")
    for query in ({"q": "AL\x00"}, {"manufacturer": "A\x00"}, {"status__exact": "\x00"}, {"o\x00": "1"}):
        response = operator_client.get(url, query)
        assert response.status_code == 400, query
        assert b"Bad request" in response.content or b"400" in response.content


def test_nul_in_the_activation_is_refused_not_a_500(a_api, operator_client, station_a):
    response = a_api.post(
        "/api/v1/activations/", {"station_id": "ALPHA-1\x00", "security_code": "K7P2\x00"}, format="json"
    )
    assert response.status_code == 400
    response = operator_client.post(
        reverse("stations:activate"), {"station_id": "ALPHA\x00", "security_code": "x\x00"}
    )
    assert response.status_code in (200, 400)
    assert operator_client.get(reverse("stations:activate"), {"station_id": "A\x00"}).status_code == 400


def test_nul_in_the_wizard_and_the_token_name_is_refused(operator_client):
    response = operator_client.post(reverse("api:tokens"), {"name": "a\x00b"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_nul_in_the_api_body_is_refused(a_api):
    body = {
        "station_id": "NUL-BODY",
        "security_code": "K7P2-93QX",
        "manufacturer": "A\x00",
        "wifi_supported": True,
        "connectors": [factories.spec_data()],
    }
    assert a_api.post("/api/v1/stations/", body, format="json").status_code == 400
    assert a_api.get("/api/v1/stations/", {"updated_since": "2020\x00"}).status_code == 400
    assert a_api.get("/api/v1/stations/", {"status": "\x00"}).status_code == 400


def test_a_multipart_file_name_with_nul_is_not_a_500(a_api, operator_client):
    data = csv_bytes(row(Station_ID="NUL-NAME"))
    response = a_api.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("a\x00b.csv", data)}, format="multipart"
    )
    assert response.status_code == 201
    response = operator_client.post(
        reverse("stations:upload"),
        {
            "file": SimpleUploadedFile("c\x00d.csv", csv_bytes(row(Station_ID="NUL-NAME2"))),
            "check_only": "on",
        },
    )
    assert response.status_code == 200
    assert all("\x00" not in name for name in ImportRecord.objects.values_list("file_name", flat=True))


def test_nul_in_a_session_cookie_or_a_sign_in_is_not_a_500(client, operator):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert client.get(reverse("stations:imports")).status_code == 302
    client.cookies.clear()
    response = client.post("/accounts/login/", {"username": "olivia\x00", "password": "x\x00"})
    assert response.status_code in (200, 400)
    response = client.post("/admin/login/", {"username": "olivia\x00", "password": "x"})
    assert response.status_code in (200, 400)


def test_a_json_body_over_djangos_memory_limit_is_json_413(a_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {
        "station_id": "HUGE-1",
        "security_code": "K7P2-93QX",
        "manufacturer": "A" * 20_000,
        "wifi_supported": True,
        "connectors": [factories.spec_data()],
    }
    response = a_api.post("/api/v1/stations/", body, format="json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "request_too_large"
    assert not Station.objects.filter(station_id="HUGE-1").exists()


def test_a_labels_print_past_the_limit_is_refused_before_it_is_drawn(
    operator, operator_client, tenant, monkeypatch
):
    """ "Select all" of a large tenant would draw every label in one request (3,000 take 7 s of CPU and
    1.4 MB; a million would hold a worker for most of an hour). The print is refused, saying the limit."""
    from stations import labels

    monkeypatch.setattr(labels, "MAX_LABELS", 3)
    for index in range(4):
        factories.make_station(tenant, operator, station_id=f"MANY-{index}")
    response = operator_client.post(
        reverse("admin:stations_station_changelist"),
        {"action": "print_labels_sheet", "select_across": "1", "index": "0", "_selected_action": ["1"]},
        follow=True,
    )
    assert response.get("Content-Type") != "application/pdf"
    assert "At most 3 labels are printed at once" in response.content.decode()
    assert not LabelPrint.objects.exists()
    response = operator_client.post(
        reverse("admin:stations_station_changelist"),
        {
            "action": "print_labels_sheet",
            "_selected_action": list(
                Station.objects.filter(station_id__in=["MANY-0", "MANY-1"]).values_list("pk", flat=True)
            ),
        },
    )
    assert response["Content-Type"] == "application/pdf"


HUGE = "9" * 30


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", f"/stations/imports/{HUGE}/"),
        ("get", f"/stations/imports/{HUGE}/plan.csv"),
        ("get", f"/stations/imports/{HUGE}/labels.pdf"),
        ("get", f"/stations/upload/{HUGE}/errors.csv"),
        ("post", f"/stations/imports/{HUGE}/import/"),
        ("post", f"/account/api-tokens/{HUGE}/revoke/"),
        ("get", f"/admin/stations/station/?last_import__id__exact={HUGE}"),
        ("get", f"/admin/stations/station/{HUGE}/change/"),
        ("get", "/stations/imports/?page=" + HUGE),
    ],
)
def test_out_of_range_numbers_are_not_a_500(operator_client, station_a, method, url):
    response = getattr(operator_client, method)(url)
    assert response.status_code in (200, 302, 404), url


def test_out_of_range_numbers_in_the_api_are_404(a_api):
    assert a_api.get(f"/api/v1/imports/{HUGE}/").status_code == 404
    assert a_api.get("/api/v1/stations/", {"page_size": HUGE}).status_code == 200


def test_an_expired_kept_file_is_not_imported(operator_client, check_a):
    from datetime import timedelta

    ImportRecord.objects.filter(pk=check_a.pk).update(created_at=check_a.created_at - timedelta(hours=25))
    response = operator_client.post(reverse("stations:import_checked", args=[check_a.pk]))
    assert response.status_code in (404, 410)
    assert not Station.objects.filter(station_id="CHECKED-A").exists()
    page = operator_client.get(reverse("stations:import_detail", args=[check_a.pk])).content.decode()
    assert reverse("stations:import_checked", args=[check_a.pk]) not in page


def test_a_kept_file_is_checked_again_when_its_station_went_to_another_tenant(
    operator_client, check_a, other_tenant
):
    factories.make_station(other_tenant, station_id="checked-a", manufacturer="Secret B")
    response = operator_client.post(reverse("stations:import_checked", args=[check_a.pk]))
    assert response.status_code == 422
    body = response.content.decode()
    assert "already registered" in body
    assert "Secret B" not in body
    assert "South" not in body
    assert Station.objects.get(station_id__iexact="checked-a").tenant == other_tenant


def test_an_imported_or_failed_record_is_not_a_kept_check(operator_client, import_a, failed_a):
    for record in (import_a, failed_a):
        assert operator_client.post(reverse("stations:import_checked", args=[record.pk])).status_code == 404


def test_a_token_of_a_deactivated_account_is_401(operator, station_a):
    api = bearer(api_token_create(user=operator, name="x")[1])
    assert api.get("/api/v1/stations/").status_code == 200
    operator.is_active = False
    operator.save()
    assert api.get("/api/v1/stations/").status_code == 401


# -- Content-Security-Policy: the new pages hold nothing the policy (no inline script or style) blocks ---


def _inline_violations(html: str) -> list[str]:
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html)
    found += re.findall(r"<[a-z][^>]*\s(?:style|on[a-z]+)=[^>]*>", html)
    found += re.findall(r"<style[\s>]", html)
    found += re.findall(r"""(?:href|src)=["']https?://(?!testserver)[^"']+""", html)
    return found


def test_new_pages_have_no_inline_script_or_style(operator_client, check_a, failed_a, import_a):
    operator_client.post(reverse("api:tokens"), {"name": "csp"})
    urls = [
        reverse("api:tokens"),
        reverse("stations:imports"),
        *(reverse("stations:import_detail", args=[r.pk]) for r in (check_a, failed_a, import_a)),
    ]
    for url in urls:
        response = operator_client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        assert _inline_violations(response.content.decode()) == [], url
    checked = operator_client.post(
        reverse("stations:upload"),
        {"file": SimpleUploadedFile("c.csv", csv_bytes(row(Station_ID="CSP-1"))), "check_only": "on"},
    )
    assert _inline_violations(checked.content.decode()) == []
    imported = operator_client.post(reverse("stations:import_checked", args=[check_a.pk]))
    assert imported.status_code == 200
    assert _inline_violations(imported.content.decode()) == []


def test_the_api_docs_page_has_no_inline_script(client, db):
    response = client.get(reverse("api:docs"))
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", response.content.decode())
    assert not re.findall(r"<[a-z][^>]*\son[a-z]+=", response.content.decode())


def test_the_api_docs_page_has_no_inline_style(client, db):
    assert _inline_violations(client.get(reverse("api:docs")).content.decode()) == []


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "\uff11", "1\u00b2"])
def test_the_import_filter_takes_any_digit_like_text_without_a_500(operator_client, import_a, value):
    """str.isdigit() is true for "²" (and other Unicode digits) that int() cannot read, or reads as
    another number ("٣" is 3, "１" is 1): only ASCII digits name a record."""
    url = reverse("admin:stations_station_changelist")
    response = operator_client.get(url, {"last_import__id__exact": value})
    assert response.status_code in (200, 302)
    assert "IMPORTED-A" not in response.content.decode()


def test_too_many_multipart_fields_in_the_api_is_json(a_api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = {f"f{i}": "x" for i in range(10)}
    body["file"] = SimpleUploadedFile("s.csv", csv_bytes(row(Station_ID="FIELDS-1")))
    response = a_api.post("/api/v1/imports/", body, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "bad_request"
    assert not Station.objects.filter(station_id="FIELDS-1").exists()


def test_a_long_token_name_is_a_form_error(operator_client):
    response = operator_client.post(reverse("api:tokens"), {"name": "n" * 5000})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_a_raw_api_import_with_a_bad_content_length_is_not_a_500(a_api):
    response = a_api.post(
        "/api/v1/imports/", csv_bytes(row(Station_ID="LEN-1")), content_type="text/csv", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "empty_file"


def test_a_refused_station_of_another_tenant_keeps_the_files_spelling_everywhere(b_api, b_client, station_a):
    """A's station is ALPHA-1; B's file says alpha-1. Nothing B sees may spell it A's way."""
    response = b_api.post(
        "/api/v1/imports/?dry_run=true", csv_bytes(row(Station_ID="alpha-1")), content_type="text/csv"
    )
    assert response.status_code == 422
    assert "ALPHA-1" not in response.content.decode()
    record = ImportRecord.objects.get(pk=response.json()["import_record"])
    for url in (
        reverse("stations:import_detail", args=[record.pk]),
        reverse("stations:import_plan", args=[record.pk]),
        reverse("stations:upload_errors", args=[record.pk]),
        f"/api/v1/imports/{record.pk}/",
    ):
        client = b_api if url.startswith("/api/") else b_client
        body = client.get(url).content.decode("utf-8-sig")
        assert "ALPHA-1" not in body, url
    page = b_client.post(
        reverse("stations:upload"),
        {"file": SimpleUploadedFile("x.csv", csv_bytes(row(Station_ID="alpha-1")))},
    )
    assert "ALPHA-1" not in page.content.decode()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WORKBOOK = (
    f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
).encode()
_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(8))
    + b"]><workbook>&i;</workbook>"
)


@pytest.mark.parametrize(
    "members",
    [
        {"xl/workbook.xml": _WORKBOOK},
        {"xl/workbook.xml": b"<not xml"},
        {"xl/workbook.xml": _LAUGHS},
        {"xl/workbook.xml": f'<workbook xmlns="{_MAIN}"/>'.encode()},
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"},
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": _LAUGHS},
    ],
    ids=["no-rels", "not-xml", "billion-laughs", "no-sheets", "ods-no-content", "ods-laughs"],
)
def test_broken_workbooks_are_refused_with_a_message_not_a_500(a_api, operator_client, members):
    response = a_api.post("/api/v1/imports/", _zip(members), content_type="application/octet-stream")
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"]
    page = operator_client.post(
        reverse("stations:upload"), {"file": SimpleUploadedFile("w.xlsx", _zip(members))}
    )
    assert page.status_code == 422


def _with_member_header(
    data: bytes, name: bytes, *, method: int | None = None, flags: int | None = None
) -> bytes:
    """``data`` with the local and central headers of member ``name`` claiming another compression
    method or flags (an encrypted member, a method Python's zipfile does not know)."""
    import struct

    raw = bytearray(data)
    for signature, flags_at, method_at, name_len_at, name_at in (
        (b"PK\x03\x04", 6, 8, 26, 30),
        (b"PK\x01\x02", 8, 10, 28, 46),
    ):
        position = raw.find(signature)
        while position >= 0:
            length = struct.unpack_from("<H", raw, position + name_len_at)[0]
            if bytes(raw[position + name_at : position + name_at + length]) == name:
                if method is not None:
                    struct.pack_into("<H", raw, position + method_at, method)
                if flags is not None:
                    struct.pack_into("<H", raw, position + flags_at, flags)
            position = raw.find(signature, position + 4)
    return bytes(raw)


@pytest.mark.parametrize(("method", "flags"), [(99, None), (None, 1)], ids=["unknown-method", "encrypted"])
def test_a_workbook_with_an_unreadable_member_is_refused_not_a_500(a_api, method, flags):
    data = _with_member_header(
        _zip({"xl/workbook.xml": _WORKBOOK}), b"xl/workbook.xml", method=method, flags=flags
    )
    response = a_api.post("/api/v1/imports/", data, content_type="application/octet-stream")
    assert response.status_code == 422
    data = _with_member_header(
        _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
        b"mimetype",
        method=method,
        flags=flags,
    )
    response = a_api.post("/api/v1/imports/", data, content_type="application/octet-stream")
    assert response.status_code == 422


@pytest.fixture
def viewer(tenant):
    """A staff user of tenant A who may only view stations."""
    from django.contrib.auth.models import Permission

    from stations.models import Membership

    user = get_user_model().objects.create_user(username="viewer", password=factories.PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_station"))
    Membership.objects.create(user=user, tenant=tenant)
    return user


def test_a_view_only_user_gets_no_labels_and_cannot_import(client, viewer, station_a, import_a, check_a):
    client.force_login(viewer)
    response = client.post(
        reverse("admin:stations_station_changelist"),
        {"action": "print_labels_sheet", "_selected_action": [station_a.pk]},
    )
    assert response.get("Content-Type") != "application/pdf"
    assert client.get(reverse("stations:import_labels", args=[import_a.pk])).status_code == 403
    assert client.post(reverse("stations:import_checked", args=[check_a.pk])).status_code == 403
    assert client.get(reverse("stations:upload_errors", args=[import_a.pk])).status_code == 403
    assert client.get(reverse("stations:import_detail", args=[import_a.pk])).status_code == 200
    assert not LabelPrint.objects.exists()
    api = bearer(api_token_create(user=viewer, name="v")[1])
    assert api.get("/api/v1/stations/ALPHA-1/").status_code == 200
    assert api.delete("/api/v1/stations/ALPHA-1/").status_code == 403
    assert (
        api.post("/api/v1/imports/", csv_bytes(row(Station_ID="V-1")), content_type="text/csv").status_code
        == 403
    )
    assert Station.objects.filter(station_id="ALPHA-1").exists()


def test_create_api_token_for_an_unknown_user_is_an_error_not_a_traceback(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", "--name", "x")
    assert not ApiToken.objects.exists()
