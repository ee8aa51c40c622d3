"""The garbage collector's pause around a file import (stations/collector.py)."""

import gc
from contextlib import contextmanager

import pytest

from stations import csv_import, services
from stations.choices import ImportSource
from stations.collector import collector_paused
from tests.csv_helpers import csv_bytes, row


@contextmanager
def collections():
    """The collections that start within the block (the generation of each)."""
    started = []

    def record(phase, info):
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield started
    finally:
        gc.callbacks.remove(record)


def test_pauses_the_collector_and_turns_it_back_on():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_turns_it_back_on_after_an_error():
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_import_runs_no_collection(db, tenant):
    # 2,000 stations make some 40,000 new objects: dozens of collections with the collector on.
    data = csv_bytes(*(row(Station_ID=f"GC-{n:05d}", Serial_number=f"SN{n:06d}") for n in range(2000)))
    with collections() as parsing:
        plan = csv_import.parse(data, tenant=tenant)
    with collections() as writing:
        result = services.stations_import(
            tenant=tenant, user=None, plan=plan, source=ImportSource.COMMAND, file_name="gc.csv"
        )
    assert result.ok
    assert result.record.stations_created == 2000
    # At most the one that the call's own first objects may start before the pause begins.
    assert len(parsing) <= 1
    assert len(writing) <= 1
    assert gc.isenabled()
