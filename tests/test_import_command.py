"""``manage.py import_stations FILE --tenant SLUG [--dry-run]``: same engine, same words, exit codes."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from stations.choices import ImportSource
from stations.models import ConnectorSpec, ImportRecord, Station
from tests.csv_helpers import csv_bytes, row, station_rows
from tests.factories import make_station

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_stations", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "stations.csv"
    path.write_bytes(csv_bytes(*station_rows("ST1", 2), row(Station_ID="ST2", Voltage="400")))
    return path


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(row(Station_ID="ST1"), row(Station_ID="ST2", Amperage="501")))
    return path


def test_imports_and_exits_0(tenant, good_file):
    code, out, _err = command(str(good_file), "--tenant", tenant.slug)
    assert code == 0
    assert "Imported: 2 stations created, 0 overridden, 3 connector specifications." in out
    assert "Warning: Row 4, Voltage: 400 V looks like line-to-line voltage" in out
    assert Station.objects.filter(tenant=tenant).count() == 2
    record = ImportRecord.objects.get()
    assert (record.source, record.user, record.file_name, record.succeeded) == (
        ImportSource.COMMAND,
        None,
        "stations.csv",
        True,
    )


def test_errors_exit_1_with_the_pages_wording_and_nothing_written(tenant, bad_file):
    make_station(tenant, station_id="KEEP")
    before = (list(Station.objects.values()), list(ConnectorSpec.objects.values()))
    code, _out, err = command(str(bad_file), "--tenant", tenant.slug)
    assert code == 1
    assert "Row 3, Amperage: Enter whole amperes from 1 to 500." in err
    assert "Nothing was imported: 1 error in 2 rows." in err
    assert (list(Station.objects.values()), list(ConnectorSpec.objects.values())) == before
    assert ImportRecord.objects.filter(source=ImportSource.COMMAND, succeeded=False).count() == 1


def test_dry_run_reports_per_station_and_writes_nothing(tenant, good_file):
    make_station(tenant, station_id="ST2")
    code, out, _err = command(str(good_file), "--tenant", tenant.slug, "--dry-run")
    assert code == 0
    assert "Row 2–3: ST1: would be created." in out
    assert "Row 4: ST2: would be overridden." in out
    assert "Check only, nothing written: 1 station would be created, 1 overridden" in out
    assert Station.objects.count() == 1
    assert ImportRecord.objects.filter(dry_run=True).count() == 1


def test_dry_run_with_errors_says_why_and_exits_1(tenant, other_tenant, tmp_path):
    make_station(other_tenant, station_id="THEIRS")
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(row(Station_ID="THEIRS"), row(Station_ID="MINE")))
    code, out, err = command(str(path), "--tenant", tenant.slug, "--dry-run")
    assert code == 1
    assert "Row 2: THEIRS: would be refused (1 error, listed below)." in out
    assert "Row 3: MINE: would be created." in out
    assert other_tenant.name not in out + err
    # The refusal's reason is printed once, not in the outcome line and again in the error list.
    assert (out + err).count("This Station ID is already registered.") == 1
    assert "Row 2, Station ID: This Station ID is already registered." in err
    assert "Nothing was imported: 1 error in 2 rows." in err


def test_one_of_everything_is_said_in_the_singular(tenant, tmp_path):
    make_station(tenant, station_id="OLD1")
    path = tmp_path / "one.csv"
    path.write_bytes(csv_bytes(row(Station_ID="NEW1"), row(Station_ID="OLD1")))
    code, out, _err = command(str(path), "--tenant", tenant.slug, "--dry-run")
    assert code == 0
    assert "1 station would be created, 1 overridden, with 2 connector specifications." in out
    path.write_bytes(csv_bytes(row(Station_ID="NEW1")))
    code, out, _err = command(str(path), "--tenant", tenant.slug)
    assert code == 0
    assert "Imported: 1 station created, 0 overridden, 1 connector specification." in out
    path.write_bytes(csv_bytes(row(Station_ID="NEW2", Voltage="9")))
    code, _out, err = command(str(path), "--tenant", tenant.slug)
    assert code == 1
    assert "Nothing was imported: 1 error in 1 row." in err


def test_unknown_tenant_is_a_clear_error(good_file):
    code, _out, err = command(str(good_file), "--tenant", "nope")
    assert code == 1
    assert "There is no tenant with the slug “nope”." in err
    assert not ImportRecord.objects.exists()


def test_missing_file_is_a_clear_error(tenant, tmp_path):
    code, _out, err = command(str(tmp_path / "missing.csv"), "--tenant", tenant.slug)
    assert (code, "There is no file") == (1, err[: len("There is no file")])


def test_size_limit_applies(tenant, good_file, settings):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 100
    code, _out, err = command(str(good_file), "--tenant", tenant.slug)
    assert code == 1
    assert "the limit is" in err
    assert not Station.objects.exists()


# manage.py's own entry point closes the database connections when done: no test transaction around it.
@pytest.mark.django_db(transaction=True)
def test_exit_status_is_what_the_shell_sees(tenant, good_file, bad_file, capsys):
    # What manage.py runs: a CommandError becomes sys.exit(returncode), success returns (status 0).
    execute_from_command_line(["manage.py", "import_stations", str(good_file), "--tenant", tenant.slug])
    assert "Imported: 2 stations created" in capsys.readouterr().out
    for args in ([str(bad_file), "--tenant", tenant.slug], [str(good_file), "--tenant", "nope"]):
        with pytest.raises(SystemExit) as exited:
            execute_from_command_line(["manage.py", "import_stations", *args])
        assert exited.value.code == 1
    assert "Row 3, Amperage: Enter whole amperes from 1 to 500." in capsys.readouterr().err


def test_imports_a_file_as_a_spreadsheet_saves_it(tenant):
    # Windows-1252, CRLF, a quoted semicolon, labels and codes in any case, an empty row at the end.
    code, out, _err = command(str(DATA / "stations-windows-1252.csv"), "--tenant", tenant.slug)
    assert code == 0, _err
    assert "read as Windows-1252" in out
    assert "Imported: 3 stations created, 0 overridden, 4 connector specifications." in out
    assert Station.objects.get(station_id="DE-MUC-0001").manufacturer == "Müller Ladetechnik"
    assert Station.objects.get(station_id="NL-AMS-0002").manufacturer == "Mennekes; Elektrotechnik"
