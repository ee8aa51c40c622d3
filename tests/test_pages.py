"""The product pages' frame without a browser: navigation, login and logout messages, favicon, dashboard."""

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def nav(html: str) -> str:
    return html[html.index('aria-label="Main navigation"') : html.index("</nav>")]


def test_navigation_lists_the_product_pages_and_marks_the_current_one(client, operator):
    client.force_login(operator)
    html = nav(client.get(reverse("stations:upload")).content.decode())
    labels = re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', html)
    assert labels == ["Dashboard", "Import station", "Upload stations", "Stations", "Imports", "Activate"]
    assert re.search(r'aria-current="page" href="/stations/upload/">Upload stations<', html)
    assert html.count('aria-current="page"') == 1
    assert reverse("admin:stations_station_changelist") in html
    # The phone menu is a <details>, so it opens without JavaScript.
    assert "<details" in html
    assert "<summary" in html


def test_navigation_hides_pages_the_user_cannot_use(client, db):
    owner = factories.get_user_model().objects.create_user("owner", password=factories.PASSWORD)
    client.force_login(owner)
    html = nav(client.get(reverse("dashboard")).content.decode())
    assert "Upload stations" not in html
    assert "Stations</a>" not in html
    assert "Activate</a>" in html


def test_every_page_loads_the_theme_script_in_head_before_the_styles(client):
    html = client.get(reverse("login")).content.decode()
    head = html[: html.index("</head>")]
    assert head.index("stations/theme.js") < head.index("bootstrap.min.css")
    assert "<script>" not in html  # no inline script: the Content-Security-Policy forbids them
    assert 'class="btn btn-sm btn-outline-light theme-toggle' in html
    assert "bg-white" not in html  # stays light in dark mode


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "", "password": ""}, "username", "Enter your username."),
        ({"username": "someone", "password": ""}, "password", "Enter your password."),
    ],
)
def test_an_empty_login_field_says_which_one(client, operator, data, field, message):
    html = client.post(reverse("login"), data).content.decode()
    assert f'<div class="invalid-feedback" id="id_{field}_error">{message}</div>' in html
    assert "didn't match" not in html
    assert "correct username and password" not in html


def test_a_wrong_password_still_says_they_do_not_match(client, operator):
    response = client.post(reverse("login"), {"username": operator.username, "password": "wrong"})
    html = response.content.decode()
    assert "Please enter a correct username and password" in html


def test_logout_lands_on_login_with_a_message(client, operator):
    client.force_login(operator)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You have been logged out." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_favicon_is_served_not_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("stations/favicon.svg")
    assert client.get(response["Location"]).status_code == 200


def test_dashboard_cards_link_to_the_station_list_filtered_by_status(client, operator):
    client.force_login(operator)
    html = client.get(reverse("dashboard")).content.decode()
    changelist = reverse("admin:stations_station_changelist")
    for status in ("inactive", "active"):
        assert f'href="{changelist}?status__exact={status}" data-testid="card-{status}"' in html
