import pytest
from django.core.exceptions import ValidationError

from stations import rules
from stations.choices import PowerType


@pytest.mark.parametrize(
    ("power_type", "voltage", "amperage", "watts"),
    [
        pytest.param(PowerType.AC_3_PHASE, 230, 16, 11_040, id="three-phase-is-3VA"),
        pytest.param(PowerType.AC_3_PHASE, 230, 32, 22_080, id="three-phase-32A"),
        pytest.param(PowerType.AC_1_PHASE, 230, 16, 3_680, id="single-phase-is-VA"),
        pytest.param(PowerType.DC, 500, 100, 50_000, id="dc-is-VA"),
    ],
)
def test_power_in_watts(power_type, voltage, amperage, watts):
    assert rules.power_watts(power_type, voltage, amperage) == watts


@pytest.mark.parametrize(
    ("watts", "shown"),
    [(11_040, "11.04 kW"), (22_000, "22 kW"), (7_400, "7.4 kW"), (1_500_000, "1,500 kW"), (110, "0.11 kW")],
)
def test_format_kw(watts, shown):
    assert rules.format_kw(watts) == shown


@pytest.mark.parametrize(
    ("voltage", "suggested"),
    [(380, 220), (400, 230), (415, 240), (480, 277), (690, 400), (278, 161), (1000, 577), (600, 346)],
)
def test_line_voltage_warning_suggests_phase_voltage(voltage, suggested):
    warning = rules.line_voltage_warning(PowerType.AC_3_PHASE, voltage)
    assert warning is not None
    assert warning.suggested_voltage == suggested
    assert f"enter {suggested} V" in warning.message


@pytest.mark.parametrize(
    ("power_type", "voltage"),
    [
        pytest.param(PowerType.AC_3_PHASE, 230, id="three-phase-230"),
        pytest.param(PowerType.AC_3_PHASE, 277, id="three-phase-at-highest-phase-voltage"),
        pytest.param(PowerType.AC_1_PHASE, 400, id="single-phase-400"),
        pytest.param(PowerType.DC, 800, id="dc-800"),
        pytest.param(PowerType.AC_3_PHASE, None, id="no-voltage-yet"),
    ],
)
def test_no_line_voltage_warning(power_type, voltage):
    assert rules.line_voltage_warning(power_type, voltage) is None


@pytest.mark.parametrize("positions", [[1], [1, 2, 3], [3, 1, 2]])
def test_accepts_positions_one_to_n(positions):
    rules.check_positions(positions)


@pytest.mark.parametrize(
    ("positions", "code"),
    [
        pytest.param([], "no_connector_specs", id="none"),
        pytest.param([1, 3], "positions_not_sequential", id="gap"),
        pytest.param([2, 3], "positions_not_sequential", id="not-starting-at-1"),
        pytest.param([1, 1, 2], "positions_not_sequential", id="repeat"),
    ],
)
def test_rejects_bad_positions(positions, code):
    with pytest.raises(ValidationError) as caught:
        rules.check_positions(positions)
    assert caught.value.code == code


@pytest.mark.parametrize("connector_id", [1, 2, 3, 7, "1", "abc", None, 0])
def test_one_specification_serves_every_connector(connector_id):
    assert rules.specification_for_connector(connector_id, 1) == 1


@pytest.mark.parametrize(("connector_id", "position"), [(1, 1), (2, 2), (3, 3), ("2", 2), (" 3 ", 3)])
def test_connector_n_gets_specification_n(connector_id, position):
    assert rules.specification_for_connector(connector_id, 3) == position


@pytest.mark.parametrize("connector_id", [0, 4, -1, "A", "1.5", "", None, True, 2.0])
def test_non_ocpp_connector_id_gets_specification_1(connector_id):
    assert rules.specification_for_connector(connector_id, 3) == 1


# At most 64 specifications per station (SPEC §1, issue 11).


@pytest.mark.parametrize("count", [1, 63, rules.MAX_CONNECTOR_SPECS])
def test_up_to_64_specifications(count):
    assert rules.MAX_CONNECTOR_SPECS == 64
    rules.check_spec_count(count)
    rules.check_positions(range(1, count + 1))


@pytest.mark.parametrize("count", [65, 2000])
def test_more_than_64_specifications_are_refused_with_that_number(count):
    for check in (lambda: rules.check_spec_count(count), lambda: rules.check_positions(range(1, count + 1))):
        with pytest.raises(ValidationError) as caught:
            check()
        assert caught.value.code == "too_many_connector_specs"
        assert "at most 64 connector specifications" in caught.value.messages[0]
