"""The filesystem source: parsing, the id rule, bad files and bad entries."""

from __future__ import annotations

import json
import logging
import os

import orjson
import pytest

from catalogs.filesystem import (
    CatalogFileError,
    FileSource,
    FilesystemPoller,
    file_namespace,
    parse_catalog_file,
)
from registry.store.clock import ManualClock
from tests.catalogs.fakes import wait_for

LEGACY = {
    "service_name": "legacy-db",
    "endpoint": {"type": "tcp", "value": "10.1.1.1:5432"},
    "tags": ["primary"],
    "metadata": {"owner": "dba"},
}


def test_entries_become_instances_with_the_native_id():
    [record] = parse_catalog_file(json.dumps({"instances": [LEGACY]}), "f")
    assert record.id == "4f0fa0a781623530"  # spec §12.4's example
    assert (record.status, record.ttl, record.tags) == (
        "UP",
        0,
        ("primary", "filesystem"),
    )
    assert orjson.loads(record.metadata or b"") == {"owner": "dba"}
    assert (record.registration_ns, record.last_renewal_ns) == (0, 0)


def test_status_is_kept_as_given():
    entry = {**LEGACY, "status": "starting"}
    [record] = parse_catalog_file(json.dumps({"instances": [entry]}), "f")
    assert record.status == "starting"


def test_entries_without_an_endpoint_are_skipped_with_a_log_line(caplog):
    document = {"instances": [{"service_name": "x"}, LEGACY, "junk"]}
    with caplog.at_level(logging.WARNING, "catalogs.filesystem"):
        records = parse_catalog_file(json.dumps(document), "/etc/a8/default.conf")
    assert [r.service_name for r in records] == ["legacy-db"]
    assert [r.getMessage() for r in caplog.records] == [
        "catalog file /etc/a8/default.conf: entry 0 skipped: no endpoint",
        "catalog file /etc/a8/default.conf: entry 2 skipped: not an object",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"instances": [\n  {"a": }\n]}', "f.conf: line 2 column 9: Expecting value"),
        ("[]", 'f.conf: not an object with an "instances" array'),
        ('{"instances": {}}', 'f.conf: not an object with an "instances" array'),
    ],
)
def test_unusable_files_say_where(text, message):
    with pytest.raises(CatalogFileError) as err:
        parse_catalog_file(text, "f.conf")
    assert str(err.value) == message


def write(path, document):
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    # a new mtime even on filesystems with coarse timestamps
    stamp = os.stat(path).st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def test_a_bad_version_keeps_the_last_good_content_and_logs_once(tmp_path, caplog):
    path = tmp_path / "team.conf"
    write(path, {"instances": [LEGACY]})
    source = FileSource(str(tmp_path), "team", ManualClock())
    source.refresh()
    good = source.catalog.snapshot
    write(path, '{"instances": [')
    with caplog.at_level(logging.ERROR, "catalogs.filesystem"):
        source.refresh()
        source.refresh()  # the same bad version: no second line
    assert source.catalog.snapshot is good
    assert len(caplog.records) == 1
    assert str(path) in caplog.records[0].getMessage()
    assert "line 1 column 16" in caplog.records[0].getMessage()
    assert not source.state.status.synced
    assert source.state.status.last_error.startswith(str(path))

    path.unlink()
    source.refresh()
    assert source.catalog.list_instances() == []  # a missing file: empty
    assert source.catalog.revision > good.revision


def test_conf_wins_over_json_and_json_is_read(tmp_path):
    write(tmp_path / "ns.json", {"instances": [LEGACY]})
    source = FileSource(str(tmp_path), "ns", ManualClock())
    source.refresh()
    assert source.catalog.list_services() == ["legacy-db"]
    write(tmp_path / "ns.conf", {"instances": [{**LEGACY, "service_name": "conf"}]})
    source.refresh()
    assert source.catalog.list_services() == ["conf"]


def test_the_poller_picks_up_changes(tmp_path):
    path = tmp_path / "ns.conf"
    source = FileSource(str(tmp_path), "ns", ManualClock())
    source.refresh()
    poller = FilesystemPoller(lambda: [source], interval=0.05)
    poller.start()
    try:
        write(path, {"instances": [LEGACY]})
        wait_for(lambda: source.catalog.list_services() == ["legacy-db"], timeout=2)
    finally:
        poller.stop()


@pytest.mark.parametrize(
    ("namespace", "usable"),
    [("team", True), ("..", False), ("../etc/x", False), ("a/b", False), ("", False)],
)
def test_only_plain_namespaces_name_a_file(namespace, usable):
    assert file_namespace(namespace) is usable
