"""Snapshot selection with rollback, and both connector sources (files, HTTP API)."""

import json
from datetime import date, timedelta

import pytest

from platform_assets.argo.connectors import MissingSnapshotError, content_hash, select_snapshot
from resources.model.tenancy import Source
from platform_assets.argo.connector_kinds import KINDS_BY_NAME
from resources.argo_connectors import ArgoConnectorResource, ConnectorFetchError, snapshot_path
from tests.argo_api import argo_web_api

pytestmark = pytest.mark.fast  # no external service: make test-fast

DAY = date(2024, 3, 10)


def write(root, kind, day, data, tenant="acme", report="Critical"):
    path = snapshot_path(root, tenant, report, kind, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def fetcher(root, kind, source=None):
    source = source or Source(kind="files", root=str(root))
    return lambda d: ArgoConnectorResource().fetch(source, "acme", "Critical", KINDS_BY_NAME[kind], d)


def test_exact_day_is_preferred(tmp_path):
    write(tmp_path, "weights", DAY, {"groups": [{"name": "A", "value": 2}]})
    write(tmp_path, "weights", DAY - timedelta(days=1), {"groups": []})
    snap = select_snapshot(fetcher(tmp_path, "weights"), "acme", "Critical", "weights", DAY)
    assert (snap.date_used, snap.fallback) == (DAY, False)


def test_falls_back_to_newest_within_rollback(tmp_path):
    write(tmp_path, "metric_profile", DAY - timedelta(days=3), {"name": "old"})
    write(tmp_path, "metric_profile", DAY - timedelta(days=2), {"name": "newer"})
    snap = select_snapshot(fetcher(tmp_path, "metric_profile"), "acme", "Critical", "metric_profile", DAY)
    assert (snap.date_used, snap.fallback, snap.data) == (DAY - timedelta(days=2), True, {"name": "newer"})


def test_nothing_within_window_names_tenant_report_kind_and_dates(tmp_path):
    write(tmp_path, "metric_profile", DAY - timedelta(days=4), {"name": "too old"})
    with pytest.raises(MissingSnapshotError) as err:
        select_snapshot(fetcher(tmp_path, "metric_profile"), "acme", "Critical", "metric_profile", DAY)
    message = str(err.value)
    for part in ("'acme'", "'Critical'", "metric_profile", "2024-03-10", "2024-03-07"):
        assert part in message


def test_downtimes_must_match_the_day(tmp_path):
    write(tmp_path, "downtimes", DAY - timedelta(days=1), {"endpoints": []})
    with pytest.raises(MissingSnapshotError, match="tried 2024-03-10$"):
        select_snapshot(fetcher(tmp_path, "downtimes"), "acme", "Critical", "downtimes", DAY)


def test_corrupt_snapshot_file_is_a_clear_error(tmp_path):
    path = snapshot_path(tmp_path, "acme", "Critical", "weights", DAY)
    path.parent.mkdir(parents=True)
    path.write_text("{oops")
    with pytest.raises(ConnectorFetchError, match="weights snapshot .* not valid JSON"):
        fetcher(tmp_path, "weights")(DAY)


def test_content_hash_ignores_key_order():
    assert content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})


def test_http_api_source_with_token_and_fallback(tmp_path, monkeypatch):
    write(tmp_path, "topology_endpoints", DAY - timedelta(days=1),
          [{"date": (DAY - timedelta(days=1)).isoformat(), "group": "G", "service": "S", "hostname": "h"}])
    write(tmp_path, "recomputations", DAY, [])
    monkeypatch.setenv("ACME_TOKEN", "s3cret")
    with argo_web_api(tmp_path, {"s3cret": ("acme", "Critical")}) as url:
        source = Source(kind="api", url=url, token_env="ACME_TOKEN")
        snap = select_snapshot(fetcher(tmp_path, "topology_endpoints", source), "acme", "Critical",
                               "topology_endpoints", DAY)
        assert snap.date_used == DAY - timedelta(days=1) and snap.data[0]["hostname"] == "h"
        assert fetcher(tmp_path, "recomputations", source)(DAY) == []  # empty is a valid answer
        monkeypatch.setenv("ACME_TOKEN", "wrong")
        with pytest.raises(ConnectorFetchError, match="refused the token of tenant 'acme'"):
            fetcher(tmp_path, "weights", source)(DAY)
