"""Plain-Python rules of the domain: limits, power, the line-voltage warning, connector order and mapping.

No ORM and no request here, so every caller (models, forms, the CSV import, the admin, activation)
shares one definition and the rules can be tested without a database.
"""

import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from .choices import PowerType

STATION_ID_MAX_LENGTH = 48
SECURITY_CODE_MIN_LENGTH = 4
SECURITY_CODE_MAX_LENGTH = 64
TEXT_MAX_LENGTH = 255

VOLTAGE_MIN = 110
VOLTAGE_MAX = 1000
AMPERAGE_MIN = 1
AMPERAGE_MAX = 500
# Maximum power (SPEC §1): kW with two decimals, so a whole number of watts; 0.01 kW is the least above 0.
MAX_POWER_DECIMAL_PLACES = 2
MAX_POWER_MIN = Decimal("0.01")

# One specification per OCPP connector ID; real stations have a handful. The limit keeps every page and
# form of a station small (a 1,000-specification admin page took 21 s).
MAX_CONNECTOR_SPECS = 64
# Django's formsets word their own limit with "%(num)d"; the domain's message fills the same parameter.
TOO_MANY_CONNECTOR_SPECS_MESSAGE = (
    "A station has at most %(num)d connector specifications, one per connector ID."
)

# Above this a three-phase voltage is almost surely line-to-line: 277 V is the highest common phase voltage.
HIGHEST_PHASE_VOLTAGE = 277
# Common line-to-line voltages and the nominal phase voltage that belongs to each.
NOMINAL_PHASE_VOLTAGE = {380: 220, 400: 230, 415: 240, 480: 277, 690: 400}


def computed_power_watts(power_type: str, voltage: int, amperage: int) -> int:
    """The power voltage and amperage give: 3 × V × A for three-phase AC, V × A otherwise."""
    phases = 3 if power_type == PowerType.AC_3_PHASE else 1
    return phases * voltage * amperage


def kw_to_watts(kilowatts: Decimal) -> int:
    """A maximum power in kW (at most two decimals) as whole watts: 7.45 → 7450."""
    return round(kilowatts * 1000)


def power_watts(power_type: str, voltage: int, amperage: int, max_power: Decimal | None = None) -> int:
    """OCPI ``max_electric_power`` (SPEC §1): the maximum power where one is given, else the computed one."""
    if max_power is not None:
        return kw_to_watts(max_power)
    return computed_power_watts(power_type, voltage, amperage)


def check_max_power(power_type: str, voltage: int, amperage: int, max_power: Decimal | None) -> None:
    """Raise unless the maximum power (kW) is empty or at most the power voltage and amperage give."""
    if max_power is None:
        return
    computed = computed_power_watts(power_type, voltage, amperage)
    if kw_to_watts(max_power) > computed:
        raise ValidationError(
            "Maximum power %(max_power)s is above the %(computed)s that %(voltage)d V × %(amperage)d A "
            "give%(phases)s; enter at most %(computed)s or leave it empty.",
            code="max_power_above_computed",
            params={
                "max_power": format_kw(kw_to_watts(max_power)),
                "computed": format_kw(computed),
                "voltage": voltage,
                "amperage": amperage,
                "phases": " on three phases" if power_type == PowerType.AC_3_PHASE else "",
            },
        )


def format_kw(watts: int) -> str:
    """Watts as kilowatts for people: 11040 → "11.04 kW", 22000 → "22 kW"."""
    text = f"{watts / 1000:,.2f}".rstrip("0").rstrip(".")
    return f"{text} kW"


@dataclass(frozen=True)
class LineVoltageWarning:
    """A three-phase voltage that looks like line-to-line voltage, and the phase voltage to enter instead."""

    voltage: int
    suggested_voltage: int

    code = "line_voltage"

    @property
    def message(self) -> str:
        return (
            f"{self.voltage} V looks like line-to-line voltage. Three-phase AC is entered as phase "
            f"(line-to-neutral) voltage: enter {self.suggested_voltage} V instead, "
            "or the power shown on maps will be √3 times too high."
        )

    def __str__(self) -> str:
        return self.message


def suggested_phase_voltage(line_voltage: int) -> int:
    """The phase voltage belonging to a line-to-line voltage: the nominal one where known, else V ÷ √3."""
    return NOMINAL_PHASE_VOLTAGE.get(line_voltage, round(line_voltage / math.sqrt(3)))


def line_voltage_warning(power_type: str, voltage: int | None) -> LineVoltageWarning | None:
    """The warning for a three-phase AC voltage above the highest common phase voltage, else None."""
    if power_type != PowerType.AC_3_PHASE or voltage is None or voltage <= HIGHEST_PHASE_VOLTAGE:
        return None
    return LineVoltageWarning(voltage, suggested_phase_voltage(voltage))


def check_spec_count(count: int) -> None:
    """Raise if a station would have more than ``MAX_CONNECTOR_SPECS`` specifications."""
    if count > MAX_CONNECTOR_SPECS:
        raise ValidationError(
            TOO_MANY_CONNECTOR_SPECS_MESSAGE,
            code="too_many_connector_specs",
            params={"num": MAX_CONNECTOR_SPECS, "count": count},
        )


def check_positions(positions: Iterable[int]) -> None:
    """Raise unless the positions are exactly 1..N (1 ≤ N ≤ ``MAX_CONNECTOR_SPECS``): one per OCPP
    connector ID, no gaps."""
    ordered = sorted(positions)
    check_spec_count(len(ordered))
    if not ordered:
        raise ValidationError(
            "A station needs at least one connector specification.", code="no_connector_specs"
        )
    expected = list(range(1, len(ordered) + 1))
    if ordered != expected:
        raise ValidationError(
            "Connector specifications must be numbered 1 to %(count)d without gaps or repeats "
            "(found %(found)s).",
            code="positions_not_sequential",
            params={"count": len(ordered), "found": ", ".join(map(str, ordered))},
        )


def specification_for_connector(connector_id: object, spec_count: int) -> int:
    """The position of the specification that connector ``connector_id`` gets at activation.

    One specification: every connector gets it. Several: connector N gets specification N. A connector
    ID that is not a whole number from 1 to ``spec_count`` (a station not following OCPP connector
    numbering) gets specification 1.
    """
    if spec_count < 1:
        raise ValueError("a station has at least one connector specification")
    if isinstance(connector_id, bool):
        return 1
    if isinstance(connector_id, int):
        number = connector_id
    elif isinstance(connector_id, str) and connector_id.strip().isdecimal():
        number = int(connector_id)
    else:
        return 1
    return number if 1 <= number <= spec_count else 1


@dataclass(frozen=True)
class MappingRow:
    """One line of the connector mapping: a connector ID (or all of them) and the specification it gets."""

    # None: every connector (a single specification) or, on the fallback row, every ID outside 1..N.
    connector_id: int | None
    spec: object
    spec_count: int
    fallback: bool = False

    @property
    def connectors(self) -> str:
        if self.fallback:
            return f"Any other ID (not 1–{self.spec_count})"
        return "Every connector" if self.connector_id is None else f"Connector {self.connector_id}"


def connector_mapping(specs: list) -> list[MappingRow]:
    """SPEC §1's connector mapping of a station's specifications (objects with a ``position``), as rows.

    Each row asks ``specification_for_connector``, so every page shows what the rule decides; several
    specifications end with the fallback row (the first ID past N stands for every other one).
    """
    count = len(specs)
    by_position = {spec.position: spec for spec in specs}
    if count == 1:
        return [MappingRow(None, by_position[specification_for_connector(1, 1)], 1)]
    rows = [
        MappingRow(number, by_position[specification_for_connector(number, count)], count)
        for number in range(1, count + 1)
    ]
    fallback = by_position[specification_for_connector(count + 1, count)]
    return [*rows, MappingRow(None, fallback, count, fallback=True)]


# Security codes the product makes up (SPEC §8): no 0/O, 1/I/L, so a code read off a label is typed right.
SECURITY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GENERATED_SECURITY_CODE_LENGTH = 10
# Groups of four for reading aloud and typing: K7QM-4XPA-9R.
SECURITY_CODE_GROUP = 4


def generate_security_code() -> str:
    """A random security code of 10 characters without look-alikes, grouped for reading: ``K7QM-4XPA-9R``."""
    characters = "".join(
        secrets.choice(SECURITY_CODE_ALPHABET) for _ in range(GENERATED_SECURITY_CODE_LENGTH)
    )
    groups = (
        characters[start : start + SECURITY_CODE_GROUP]
        for start in range(0, GENERATED_SECURITY_CODE_LENGTH, SECURITY_CODE_GROUP)
    )
    return "-".join(groups)
