"""Small builders for test data; every station goes through the real service unless a test needs otherwise."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from stations import services
from stations.models import Membership, Tenant

PASSWORD = "a-test-password"


def make_tenant(slug: str, name: str | None = None) -> Tenant:
    return Tenant.objects.create(slug=slug, name=name or slug.replace("-", " ").title())


def make_operator(tenant: Tenant, username: str):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Operators"))
    Membership.objects.create(user=user, tenant=tenant)
    return user


def make_support(username: str = "support"):
    return get_user_model().objects.create_superuser(username=username, password=PASSWORD)


def station_data(**overrides) -> dict:
    data = {
        "station_id": "ST1010101",
        "security_code": "K7P2-93QX",
        "manufacturer": "Alfen",
        "article_number": "NG910-60023",
        "serial_number": "ACE0012345",
        "wifi_supported": True,
        "gsm_supported": False,
    }
    data.update(overrides)
    return data


def spec_data(**overrides) -> dict:
    data = {
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "voltage": 230,
        "amperage": 16,
    }
    data.update(overrides)
    return data


def make_station(tenant: Tenant, user=None, specs=None, **overrides):
    return services.station_import(
        tenant=tenant,
        user=user,
        station_data=station_data(**overrides),
        specs=specs if specs is not None else [spec_data()],
    )


def chademo_spec_data(**overrides) -> dict:
    """The DC specification that the two-spec station carries as connector 2."""
    return spec_data(
        standard="CHADEMO", format="CABLE", power_type="DC", voltage=500, amperage=125, **overrides
    )


def two_spec_data() -> list[dict]:
    """Type 2 three-phase AC as connector 1, CHAdeMO DC as connector 2."""
    return [spec_data(), chademo_spec_data()]


def make_two_spec_station(tenant: Tenant, user=None, **overrides):
    """A station with the two specifications of ``two_spec_data``."""
    return make_station(tenant, user, specs=two_spec_data(), **overrides)
