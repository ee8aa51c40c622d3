"""Security codes and packaging labels (SPEC §8): generated codes, the labels PDF read back with pypdf,
rasterised with pdfium and every QR code decoded with zxing-cpp, the print records, the view and the
admin actions with their permissions and tenant isolation."""

import io
import re
from urllib.parse import parse_qs, urlsplit

import pypdfium2
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.test import RequestFactory, override_settings
from django.urls import reverse
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from everon_import.settings import env_public_url
from stations import labels, rules, services
from stations.models import ImportRecord, LabelPrint, Station
from tests import factories

BASE = "https://stations.example.com"
LOOK_ALIKES = set("0O1IL")
LONG_ID = "LONG-" + "7" * 20 + "-" + "X" * 22  # 48 characters
LONG_MANUFACTURER = ("Société Électrique Łódź Straße Müller & Søn " * 6)[:255].strip()
NON_LATIN_1 = "Łódź Ładowarki Ελληνικά Київ Zürich ß"


# ------------------------------------------------------------------------------------------ codes


def test_generated_security_codes_pass_the_rule_have_no_look_alikes_and_are_unique():
    field = Station._meta.get_field("security_code")
    codes = [rules.generate_security_code() for _ in range(10_000)]
    for code in codes:
        assert field.clean(code, None) == code
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}", code), code
        assert not LOOK_ALIKES & set(code), code
    assert len(set(codes)) == len(codes)


def test_security_code_alphabet_has_no_look_alikes():
    assert not LOOK_ALIKES & set(rules.SECURITY_CODE_ALPHABET)
    assert len(set(rules.SECURITY_CODE_ALPHABET)) == len(rules.SECURITY_CODE_ALPHABET) == 31


# ------------------------------------------------------------------------------------------ helpers


def decoded_qr_codes(pdf: bytes, layout: labels.LabelLayout, dpi: int = 300):
    """Every QR code of the PDF as (page number, label index on the page, text), found by a real decoder."""
    found = []
    document = pypdfium2.PdfDocument(pdf)
    scale = dpi / 72
    px_per_mm = dpi / 25.4
    for page_number in range(len(document)):
        image = document[page_number].render(scale=scale).to_pil()
        for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
            centre_x = sum(p.x for p in (result.position.top_left, result.position.bottom_right)) / 2
            centre_y = sum(p.y for p in (result.position.top_left, result.position.bottom_right)) / 2
            found.append(
                (page_number, label_index_at(layout, centre_x / px_per_mm, centre_y / px_per_mm), result.text)
            )
    return found


def label_index_at(layout: labels.LabelLayout, x_mm: float, y_mm: float) -> int | None:
    for index in range(layout.per_page):
        left, top, width, height = layout.label_box(index)
        if left <= x_mm < left + width and top <= y_mm < top + height:
            return index
    return None


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeezed(text: str) -> str:
    """Text without any whitespace: wrapped lines read back as one."""
    return re.sub(r"\s+", "", text)


def make_stations(tenant, user, count: int, prefix: str = "LBL", **overrides) -> list[Station]:
    return [
        factories.make_station(
            tenant,
            user,
            station_id=f"{prefix}-{tenant.slug[:5].upper()}-{number:03d}",
            security_code=rules.generate_security_code(),
            serial_number="",
            **overrides,
        )
        for number in range(count)
    ]


# ------------------------------------------------------------------------------------------ layout


def test_a4_layout_fills_the_sheet_with_the_stated_size_and_pitch():
    sheet = labels.SHEET
    assert (sheet.page_width, sheet.page_height) == (210, 297)
    assert (sheet.label_width, sheet.label_height, sheet.columns, sheet.rows) == (70, 37, 3, 8)
    boxes = [sheet.label_box(index) for index in range(sheet.per_page)]
    for left, top, width, height in boxes:
        assert (width, height) == (70, 37)
        assert left >= 0
        assert left + width <= sheet.page_width + 1e-9
        assert top >= 0
        assert top + height <= sheet.page_height + 1e-9
    assert [box[0] for box in boxes[:3]] == [0, 70, 140]
    assert [boxes[row * 3][1] for row in range(8)] == [0.5 + 37 * row for row in range(8)]
    bottom_margin = sheet.page_height - (boxes[-1][1] + 37)
    assert bottom_margin == pytest.approx(0.5) == sheet.top_margin
    assert sheet.label_box(24) == boxes[0]  # the 25th label starts the next sheet


def test_roll_layout_is_one_62_by_29_label_per_page():
    roll = labels.ROLL
    assert (roll.page_width, roll.page_height, roll.per_page) == (62, 29, 1)
    assert roll.label_box(5) == (0, 0, 62, 29)


def test_activation_url_encodes_both_values():
    url = labels.activation_url(BASE + "/", "ST+1|a@b", "K7/Q M#+")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE + reverse("stations:activate")
    assert parse_qs(parts.query) == {"station_id": ["ST+1|a@b"]}
    assert parts.fragment == "code=K7%2FQ%20M%23%2B"


# ------------------------------------------------------------------------------------------ the PDF


@pytest.mark.parametrize("layout", [labels.SHEET, labels.ROLL], ids=lambda layout: layout.key)
def test_every_label_has_its_id_code_and_a_qr_code_of_its_own_activation_link(tenant, operator, layout):
    stations = make_stations(tenant, operator, 26)  # two A4 sheets, the second one partly used
    pdf = services.labels_print(user=operator, stations=stations, layout=layout.key, base_url=BASE)

    text = pdf_text(pdf)
    for station in stations:
        assert station.station_id in text
        assert station.security_code in text
    ordered = sorted(stations, key=lambda station: station.station_id)
    decoded = decoded_qr_codes(pdf, layout)
    assert len(decoded) == len(stations)
    for page_number, index, link in decoded:
        assert index is not None, "a QR code outside every label box"
        station = ordered[page_number * layout.per_page + index]
        assert link == labels.activation_url(BASE, station.station_id, station.security_code)
        parts = urlsplit(link)
        assert parse_qs(parts.query) == {"station_id": [station.station_id]}
        assert parts.fragment == f"code={station.security_code}"


def test_text_sits_inside_its_label_box(tenant, operator):
    stations = make_stations(tenant, operator, 5)
    pdf = services.labels_print(user=operator, stations=stations, layout="sheet", base_url=BASE)
    positions = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            positions[text.strip()] = (tm[4] * 25.4 / 72, 297 - tm[5] * 25.4 / 72)

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    for index, station in enumerate(sorted(stations, key=lambda station: station.station_id)):
        x, y = positions[station.station_id]
        left, top, width, height = labels.SHEET.label_box(index)
        assert left < x < left + width, (station.station_id, x)
        assert top < y < top + height, (station.station_id, y)


@pytest.mark.parametrize("layout", [labels.SHEET, labels.ROLL], ids=lambda layout: layout.key)
def test_longest_station_id_and_manufacturer_fit_whole(tenant, operator, layout):
    assert len(LONG_ID) == rules.STATION_ID_MAX_LENGTH
    assert len(LONG_MANUFACTURER) <= rules.TEXT_MAX_LENGTH
    station = factories.make_station(
        tenant, operator, station_id=LONG_ID, manufacturer=LONG_MANUFACTURER, security_code="C" * 64
    )
    plan = labels.label_plan(station, layout)
    text_left = plan.lines[0].x
    for line in plan.lines:
        width = pdfmetrics.stringWidth(line.text, line.font, line.size) * 25.4 / 72
        assert text_left + width <= layout.label_width - layout.padding + 1e-6, line
        assert line.baseline <= layout.label_height - layout.padding + 1e-6, line
    drawn = squeezed("".join(line.text for line in plan.lines))
    assert squeezed(LONG_ID) in drawn
    assert squeezed(LONG_MANUFACTURER) in drawn

    pdf = services.labels_print(user=operator, stations=[station], layout=layout.key, base_url=BASE)
    text = squeezed(pdf_text(pdf))
    assert squeezed(LONG_ID) in text
    assert squeezed(LONG_MANUFACTURER) in text
    ((_page, _index, link),) = decoded_qr_codes(pdf, layout, dpi=400)
    assert link == labels.activation_url(BASE, LONG_ID, "C" * 64)


def test_text_that_cannot_fit_is_refused_not_cut(tenant, operator):
    station = factories.make_station(
        tenant,
        operator,
        station_id=LONG_ID,
        security_code="C" * 64,
        manufacturer="M" * 255,
        article_number="A" * 255,
    )
    with pytest.raises(ValidationError) as caught:
        services.labels_print(user=operator, stations=[station], layout="roll", base_url=BASE)
    assert caught.value.code == "label_too_full"
    assert LabelPrint.objects.count() == 0


def test_non_latin_1_manufacturer_renders_with_an_embedded_font(tenant, operator):
    station = factories.make_station(tenant, operator, manufacturer=NON_LATIN_1)
    pdf = services.labels_print(user=operator, stations=[station], layout="sheet", base_url=BASE)
    assert NON_LATIN_1 in " ".join(pdf_text(pdf).split())
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    assert fonts
    for font in fonts.values():
        font = font.get_object()
        descriptor = (
            font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        )
        assert "/FontFile2" in descriptor.get_object(), font["/BaseFont"]  # the TrueType program is inside


def test_characters_the_font_lacks_are_refused_not_printed_as_boxes(tenant, operator):
    station = factories.make_station(tenant, operator, manufacturer="深圳 Charging 科技")
    with pytest.raises(ValidationError) as caught:
        services.labels_print(user=operator, stations=[station], layout="sheet", base_url=BASE)
    assert caught.value.code == "label_character_missing"
    assert caught.value.params == {"station_id": "ST1010101", "characters": "圳 技 深 科"}
    assert LabelPrint.objects.count() == 0


@override_settings(STATION_IMPORT_PUBLIC_URL="https://public.example.org")
def test_public_url_setting_wins_over_the_request():
    request = RequestFactory().get("/", HTTP_HOST="10.0.0.5:8000")
    assert labels.base_url(request) == "https://public.example.org"


def test_base_url_defaults_to_the_request():
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    assert labels.base_url(request) == "http://testserver/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", ""), ("https://a.example/", "https://a.example"), ("http://h:8000/sub", "http://h:8000/sub")],
)
def test_public_url_setting_reads_addresses(monkeypatch, raw, expected):
    monkeypatch.setenv("STATION_IMPORT_PUBLIC_URL", raw)
    assert env_public_url("STATION_IMPORT_PUBLIC_URL") == expected


@pytest.mark.parametrize(
    "raw", ["stations.example.com", "ftp://x.example", "https://x.example/?a=1", "https://"]
)
def test_public_url_setting_refuses_what_is_not_an_address(monkeypatch, raw):
    monkeypatch.setenv("STATION_IMPORT_PUBLIC_URL", raw)
    with pytest.raises(ImproperlyConfigured, match="STATION_IMPORT_PUBLIC_URL"):
        env_public_url("STATION_IMPORT_PUBLIC_URL")


# ------------------------------------------------------------------------------------------ service


def test_a_print_is_recorded(tenant, operator):
    stations = make_stations(tenant, operator, 3)
    services.labels_print(user=operator, stations=stations, layout="roll", base_url=BASE)
    record = LabelPrint.objects.get()
    assert (record.user, record.tenant, record.layout, record.label_count) == (operator, tenant, "roll", 3)
    assert record.station_ids == sorted(station.station_id for station in stations)


def test_other_tenants_stations_are_skipped(tenant, operator, other_tenant, other_operator):
    own = make_stations(tenant, operator, 2)
    foreign = make_stations(other_tenant, other_operator, 2)
    pdf = services.labels_print(user=operator, stations=Station.objects.all(), layout="sheet", base_url=BASE)
    text = pdf_text(pdf)
    assert all(station.station_id in text for station in own)
    assert not any(station.station_id in text or station.security_code in text for station in foreign)
    assert LabelPrint.objects.get().station_ids == sorted(station.station_id for station in own)


def test_only_other_tenants_stations_is_an_error_and_records_nothing(
    tenant, operator, other_tenant, other_operator
):
    foreign = make_stations(other_tenant, other_operator, 1)
    with pytest.raises(ValidationError) as caught:
        services.labels_print(user=operator, stations=foreign, layout="sheet", base_url=BASE)
    assert caught.value.code == "no_stations"
    assert LabelPrint.objects.count() == 0


def test_users_who_may_not_change_stations_get_no_labels(tenant, operator):
    stations = make_stations(tenant, operator, 1)
    viewer = get_user_model().objects.create_user(
        username="viewer", password=factories.PASSWORD, is_staff=True
    )
    with pytest.raises(PermissionDenied):
        services.labels_print(user=viewer, stations=stations, layout="sheet", base_url=BASE)
    assert LabelPrint.objects.count() == 0


# ------------------------------------------------------------------------------------------ the view


def import_with_stations(tenant, user, count: int) -> ImportRecord:
    stations = make_stations(tenant, user, count)
    record = stations[0].last_import
    Station.objects.filter(pk__in=[station.pk for station in stations]).update(last_import=record)
    return record


def labels_url(record, layout="sheet"):
    return reverse("stations:import_labels", args=[record.pk]) + f"?layout={layout}"


@pytest.mark.parametrize("layout", ["sheet", "roll"])
def test_import_labels_view_gives_the_pdf_of_the_import_and_records_it(client, tenant, operator, layout):
    record = import_with_stations(tenant, operator, 3)
    make_stations(tenant, operator, 1, prefix="OTHER")  # imported separately: not on this import's labels
    client.force_login(operator)
    response = client.get(labels_url(record, layout))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    printed = LabelPrint.objects.get()
    assert (printed.import_record, printed.user, printed.layout, printed.label_count) == (
        record,
        operator,
        layout,
        3,
    )
    links = {link for _page, _index, link in decoded_qr_codes(response.content, labels.LAYOUTS[layout])}
    expected = {
        labels.activation_url("http://testserver/", station.station_id, station.security_code)
        for station in record.stations.all()
    }
    assert links == expected


def test_import_labels_of_another_tenant_are_not_found(
    client, tenant, operator, other_tenant, other_operator
):
    record = import_with_stations(other_tenant, other_operator, 1)
    client.force_login(operator)
    assert client.get(labels_url(record)).status_code == 404
    assert LabelPrint.objects.count() == 0


def test_support_gets_any_tenants_import_labels(client, tenant, operator, support):
    record = import_with_stations(tenant, operator, 2)
    client.force_login(support)
    response = client.get(labels_url(record))
    assert response.status_code == 200
    assert LabelPrint.objects.get().tenant == tenant


def test_import_labels_need_the_change_permission(client, tenant, operator):
    record = import_with_stations(tenant, operator, 1)
    viewer = get_user_model().objects.create_user(
        username="viewer", password=factories.PASSWORD, is_staff=True
    )
    factories.Membership.objects.create(user=viewer, tenant=tenant)
    client.force_login(viewer)
    assert client.get(labels_url(record)).status_code == 403


def test_import_labels_need_a_login(client, tenant, operator):
    record = import_with_stations(tenant, operator, 1)
    response = client.get(labels_url(record))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_layout_is_a_bad_request(client, tenant, operator):
    record = import_with_stations(tenant, operator, 1)
    client.force_login(operator)
    response = client.get(labels_url(record, "poster"))
    assert response.status_code == 400
    assert b"sheet, roll" in response.content


# ------------------------------------------------------------------------------------------ admin


@pytest.mark.parametrize("layout", ["sheet", "roll"])
def test_admin_actions_print_the_chosen_visible_stations(
    client, tenant, operator, other_tenant, other_operator, layout
):
    own = make_stations(tenant, operator, 2)
    theirs = make_stations(other_tenant, other_operator, 1)
    client.force_login(operator)
    response = run_action(client, f"print_labels_{layout}", [*own, *theirs])
    assert response["Content-Type"] == "application/pdf"
    assert LabelPrint.objects.get().station_ids == sorted(station.station_id for station in own)
    assert LabelPrint.objects.get().layout == layout


def run_action(client, action, stations):
    return client.post(
        reverse("admin:stations_station_changelist"),
        {"action": action, "_selected_action": [station.pk for station in stations]},
    )


def test_overview_action_prints_the_selection(client, tenant, operator):
    stations = make_stations(tenant, operator, 2)
    client.force_login(operator)
    response = run_action(client, "print_labels_roll", stations)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert len(decoded_qr_codes(response.content, labels.ROLL)) == 2
    assert LabelPrint.objects.get().layout == "roll"


def test_overview_action_is_not_offered_without_the_change_permission(client, tenant, operator):
    stations = make_stations(tenant, operator, 1)
    viewer = get_user_model().objects.create_user(
        username="viewer", password=factories.PASSWORD, is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_station"))
    factories.Membership.objects.create(user=viewer, tenant=tenant)
    client.force_login(viewer)
    page = client.get(reverse("admin:stations_station_changelist"))
    assert page.status_code == 200
    assert b"print_labels_sheet" not in page.content
    response = run_action(client, "print_labels_sheet", stations)
    assert response.get("Content-Type") != "application/pdf"
    assert LabelPrint.objects.count() == 0


def test_label_prints_are_listed_for_support_only(client, tenant, operator, support):
    services.labels_print(
        user=operator, stations=make_stations(tenant, operator, 1), layout="sheet", base_url=BASE
    )
    url = reverse("admin:stations_labelprint_changelist")
    client.force_login(operator)
    assert client.get(url).status_code == 404
    client.force_login(support)
    response = client.get(url)
    assert response.status_code == 200
    assert b"olivia" in response.content


# ------------------------------------------------------------------------------------------ activation link


def test_activation_page_fills_in_the_station_id_from_the_link(client, operator):
    client.force_login(operator)
    response = client.get(reverse("stations:activate") + "?station_id=ST%2B7")
    assert response.status_code == 200
    assert response.context["form"]["station_id"].value() == "ST+7"
    assert b'value="ST+7"' in response.content
    assert b"stations/activate.js" in response.content
