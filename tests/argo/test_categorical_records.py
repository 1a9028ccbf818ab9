"""The lake's records are read with their text columns as pandas categoricals (``read_records``):
every result is the same as from plain text columns, on generated days with thresholds,
monitoring-source and metric exclusions, status changes, group copies, strangers (hosts, metrics
and statuses outside the report) and missing texts; D and D-1 with their own categories."""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_inputs import CATEGORICAL_COLUMNS, RECORD_COLUMNS, read_records
from platform_assets.argo.ar_kernel import ArInputs, compute_ar
from platform_assets.argo.carried import carried_candidates
from platform_assets.argo.status_metrics import status_metric_rows, status_metric_table
from platform_assets.argo.thresholds import parse_thresholds_profile
from platform_assets.demo import argo_sample as sd
from resources.storage import LakeResource

pytestmark = pytest.mark.fast

DAY = date(2024, 3, 10)
LEVELS = ("endpoint_ar", "service_ar", "endpoint_group_ar", "status_endpoints", "status_services",
          "status_endpoint_groups")


def _texts(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The day's records with actual data, summaries and messages (some missing), and a few
    strangers: a host outside the topology, a metric outside the profile, a status outside the
    operations profile."""
    n = len(frame)
    frame = frame.assign(
        actual_data=rng.choice(np.array(["t=1", "t=7", "t=12;u=3", None], dtype=object), n),
        summary=rng.choice(np.array(["fine", "slow", None], dtype=object), n),
        message=rng.choice(np.array([None, "ok", "timeout"], dtype=object), n),
    )
    strangers = frame.sample(n=min(6, n), random_state=int(rng.integers(1 << 30))).copy()
    strangers["hostname"] = np.where(np.arange(len(strangers)) % 3 == 0, "stranger.example.org",
                                     strangers["hostname"])
    strangers["metric"] = np.where(np.arange(len(strangers)) % 3 == 1, "org.unknown", strangers["metric"])
    strangers["status"] = np.where(np.arange(len(strangers)) % 3 == 2, "BOGUS", strangers["status"])
    return pd.concat([frame, strangers], ignore_index=True)


def generated_day(seed: int) -> ArInputs:
    rng = np.random.default_rng(seed)
    fed = sd.federation("acme", 4, rng)
    snap = sd.connector_snapshots(fed, "Critical", DAY, rng)
    endpoints = pr.parse_topology_endpoints(snap["topology_endpoints"])
    shared = endpoints.iloc[[0]].assign(group=endpoints["group"].iloc[-1])  # one endpoint in two groups
    endpoints = pd.concat([endpoints, shared], ignore_index=True).drop_duplicates(
        ["group", "service", "hostname"])
    today = _texts(sd.metric_frame(fed, DAY, rng, silent_fraction=0.1), rng)
    today = today.iloc[rng.permutation(len(today))].reset_index(drop=True)
    previous = _texts(sd.metric_frame(fed, DAY - timedelta(days=1), rng), rng)
    if seed % 3 == 0:  # a day without any message: its categories are of another type
        previous["message"] = None
    metric = str(today["metric"].iloc[0])
    window = sorted(rng.choice(np.arange(0, 24, 0.5), size=2, replace=False).tolist())
    start = pd.Timestamp(DAY, tz="UTC")
    recomputation = {
        "id": "r", "start_time": f"{start + pd.Timedelta(hours=window[0]):%Y-%m-%dT%H:%M:%SZ}",
        "end_time": f"{start + pd.Timedelta(hours=window[1]):%Y-%m-%dT%H:%M:%SZ}",
        "applied_status_changes": [{"metric": metric, "state": "CRITICAL"}]}
    return ArInputs(
        report="crit", day=DAY, records=today, previous=previous,
        metric_profile=pr.parse_metric_profile(snap["metric_profile"]),
        aggregation=pr.parse_aggregation_profile(snap["aggregation_profile"]),
        operations=pr.parse_operations_profile(snap["operations_profile"]),
        endpoints=endpoints, supergroups=pr.parse_topology_groups(snap["topology_groups"]),
        downtimes=pr.parse_downtimes(snap["downtimes"]), weights=pr.parse_weights(snap["weights"]),
        exclusions=[pr.MonitoringExclusion("mon2.example.org", start - pd.Timedelta(hours=1),
                                           start + pd.Timedelta(hours=float(rng.integers(1, 6))))],
        metric_exclusions=[pr.MetricExclusion(str(today["metric"].iloc[1]), None, None, None,
                                              start + pd.Timedelta(hours=2), start + pd.Timedelta(hours=3))]
        if rng.random() < 0.5 else [],
        thresholds=parse_thresholds_profile({"rules": [{"metric": metric, "thresholds": "t=1;0:5;0:10"}]}),
        status_changes=pr.parse_recomputations([recomputation], {"Critical"}).status_changes
        if rng.random() < 0.5 else [],
        new_metrics=frozenset({(str(today["service"].iloc[2]), str(today["metric"].iloc[2]))})
        if rng.random() < 0.3 else frozenset(),
    )


TEXT_COLUMNS = [c for c in RECORD_COLUMNS if c != "timestamp"]


def categorical(frame: pd.DataFrame, columns: list[str] = CATEGORICAL_COLUMNS) -> pd.DataFrame:
    """The frame as ``read_records`` gives it (``columns``: every text column, too, as a caller
    may hand them): each day's own categories, in its own order."""
    return frame.astype({c: "category" for c in columns if c in frame})


def _plain(table: pa.Table) -> pa.Table:
    return pa.table({c: table[c].cast(pa.string()) if pa.types.is_dictionary(table[c].type) else table[c]
                     for c in table.column_names})


@pytest.mark.parametrize("seed", range(30))
def test_categorical_records_give_the_results_plain_text_gives(seed):
    plain = generated_day(seed)
    columns = CATEGORICAL_COLUMNS if seed % 2 else TEXT_COLUMNS
    coded = replace(plain, records=categorical(plain.records, columns),
                    previous=categorical(plain.previous, columns))
    kept_plain = carried_candidates(plain.previous, plain.exclusions, DAY)
    kept_coded = carried_candidates(coded.previous, coded.exclusions, DAY)
    assert kept_plain.astype(object).equals(kept_coded.astype(object))
    for column in columns:  # of D-1's vocabulary, only what the kept records use
        used = kept_coded[column].dropna().unique()
        assert len(kept_coded[column].cat.categories) == len(used), column
    for world in (plain, coded):
        world_reduced = replace(world, previous=kept_plain if world is plain else kept_coded)
        if world is plain:
            expected = compute_ar(world_reduced), status_metric_table(world_reduced, "crit", world.endpoints)
            rows = status_metric_rows(world_reduced)
            continue
        got = compute_ar(world_reduced), status_metric_table(world_reduced, "crit", world.endpoints)
        for level in LEVELS:
            assert getattr(got[0], level).equals(getattr(expected[0], level)), level
        assert got[0].stats == expected[0].stats
        assert _plain(got[1]).equals(_plain(expected[1]))
        assert status_metric_rows(world_reduced).equals(rows)


def test_read_records_gives_categoricals_that_read_as_the_written_values(tmp_path):
    lake = LakeResource(root=str(tmp_path))
    world = generated_day(0)
    frame = world.records[RECORD_COLUMNS]
    lake.write_table("argo/metric_data/acme/2024-03-10.parquet", pa.Table.from_pandas(frame, preserve_index=False))
    read = read_records(lake, "acme", DAY)
    assert all(isinstance(read[c].dtype, pd.CategoricalDtype) for c in CATEGORICAL_COLUMNS)
    # the probes' outputs, mostly distinct texts, stay text
    assert not any(isinstance(read[c].dtype, pd.CategoricalDtype) for c in ("summary", "message", "actual_data"))
    as_written = frame.astype({c: object for c in TEXT_COLUMNS}).reset_index(drop=True)
    assert read.astype({c: object for c in TEXT_COLUMNS}).equals(
        as_written.assign(timestamp=as_written["timestamp"].astype(read["timestamp"].dtype)))
    assert read_records(lake, "acme", DAY - timedelta(days=1)) is None


def test_status_metrics_dictionaries_hold_each_text_in_use_once():
    """The day before's vocabulary does not travel into status_metrics with its carried records,
    and an empty text already among the records is not added twice (pandas reads the table)."""
    plain = generated_day(1)
    today = plain.records.assign(summary=np.where(np.arange(len(plain.records)) % 2, "", "busy"))
    yesterday = plain.previous.assign(summary=[f"only yesterday {i}" for i in range(len(plain.previous))])
    coded = replace(plain, records=categorical(today, TEXT_COLUMNS), previous=categorical(yesterday, TEXT_COLUMNS))
    coded = replace(coded, previous=carried_candidates(coded.previous, coded.exclusions, DAY))
    table = status_metric_table(coded, "crit", coded.endpoints)
    for name in table.column_names:
        column = table[name].combine_chunks()
        if pa.types.is_dictionary(column.type):
            words = column.dictionary.to_pylist()
            assert len(words) == len(set(words)), name
            assert set(column.indices.drop_null().to_pylist()) == set(range(len(words))), name
    assert len(table.to_pandas()) == table.num_rows > 0
    carried = set(coded.previous["summary"].astype(object))
    assert set(table["summary"].to_pylist()) <= {"", "busy"} | carried
    assert table.schema.field("summary").type == pa.string()  # probes' outputs: plain text


def test_a_categorical_text_column_is_encoded_with_its_texts_in_use_each_once():
    from platform_assets.argo.status_metrics import _texts

    carried_in = pd.Series(pd.Categorical(["", None, "s3", "s3"], categories=["unused", "", "s3", "gone"]))
    encoded = _texts(carried_in)
    assert encoded.dictionary.to_pylist() == ["", "s3"]  # the empty text once, no unused value
    assert encoded.to_pylist() == ["", None, "s3", "s3", ""]  # and the extra empty row last
    plain = _texts(pd.Series(["", None, "s3", "s3"], dtype=object))
    assert plain.to_pylist() == encoded.to_pylist()
    assert _texts(pd.Series(pd.Categorical([None, None]))).to_pylist() == [None, None, ""]


def test_plain_texts_are_gathered_from_every_chunk_in_row_order(monkeypatch):
    """Rows take their text from the chunk their record is in (the day before's carried records,
    the day's, the empty text), a few rows at a time, and come out in row order."""
    from platform_assets.argo import status_metrics

    monkeypatch.setattr(status_metrics, "GATHER_ROWS", 7)
    flat = ["carried", None, "a", "b", None, "c", ""]
    texts = pa.chunked_array([flat[:2], flat[2:6], flat[6:]], pa.string())
    source = np.random.default_rng(3).integers(0, len(flat), 60)
    source[:7] = 3  # a slice from one chunk only
    gathered = status_metrics._gathered(texts, source)
    assert gathered.type == pa.string()
    assert gathered.to_pylist() == [flat[i] for i in source]
    assert status_metrics._gathered(texts, source[:0]).to_pylist() == []
    coded = pa.array(flat, pa.string()).dictionary_encode()
    assert status_metrics._gathered(coded, source).to_pylist() == [flat[i] for i in source]
