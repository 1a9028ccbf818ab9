"""ARGO's v3 fixture through the real ``argo_daily`` job: the metric data as the tenant's JSON files,
every connector kind as the web API's answer in a file (envelopes included), ingest, connector
snapshots, A/R, status results and checks in Dagster, the results read back from the results
store. Every one of the 36 documents ARGO's test asserts must come out exactly; the status
documents must be the kernel's."""

import shutil
from datetime import timedelta
from types import SimpleNamespace

import dagster as dg
import pandas as pd
import yaml

from platform_assets.argo.status_metrics import status_metric_rows
from platform_assets.definitions import build_definitions
from resources.argo_connectors import snapshot_path
from resources.results_store import LocalResultsStore
from tests.argo.conformance.argo_api import DAY, FACTS, api_answers, inputs, report
from tests.argo.conformance.test_v3_fixture import _compare
from tests.platform import check_results, local_resources, register_tenants, run_day

TENANT = "EGI"


def _sources(root) -> None:
    """The day and the day before as the tenant's files: metric data and connector answers."""
    import json

    for day in (DAY - timedelta(days=1), DAY):
        folder = root / TENANT / "mdata" / day.isoformat()
        folder.mkdir(parents=True)
        shutil.copy(FACTS / f"metric_data_{day}.jsonl", folder / "part-0000.jsonl")
        for kind, answer in api_answers().items():
            path = snapshot_path(root, TENANT, report().name, kind, day)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(answer))


def test_argo_daily_stores_every_one_of_argos_documents(tmp_path, monkeypatch):
    monkeypatch.setenv("WEIR_START_DATE", (DAY - timedelta(days=5)).isoformat())
    sources = tmp_path / "sources"
    _sources(sources)
    registry = tmp_path / "tenants.yaml"
    registry.write_text(yaml.safe_dump({"tenants": [{
        "name": TENANT, "reports": [{"name": report().name, "id": report().id}],
        "sources": {"metric_data": {"kind": "files", "root": str(sources), "encoding": "json"},
                    "connectors": {"kind": "files", "root": str(sources)}}}]}))
    defs = build_definitions(local_resources(tmp_path, registry))
    with dg.instance_for_test() as instance:
        register_tenants(instance, registry)
        before = defs.resolve_job_def("argo_daily").execute_in_process(
            partition_key=f"{DAY - timedelta(days=1)}|{TENANT}", instance=instance,
            asset_selection=[dg.AssetKey(["argo", "metric_data"]), dg.AssetKey(["argo", "metric_data_quarantine"])])
        assert before.success
        result = run_day(defs, instance, DAY, TENANT)
        assert result.success
        assert all(check_results(result).values()), check_results(result)

    store = LocalResultsStore(str(tmp_path / "results"))

    def stored(level: str) -> pd.DataFrame:
        return pd.DataFrame(store.read_day(TENANT, level, report().id, DAY))

    documents = SimpleNamespace(endpoint_ar=stored("endpoint_ar"), service_ar=stored("service_ar"),
                                endpoint_group_ar=stored("endpoint_group_ar"))
    assert _compare(documents) == []
    assert len(store.read_day(TENANT, "status_metrics", report().id, DAY)) == len(status_metric_rows(inputs()))
    assert store.read_day(TENANT, "status_endpoint_groups", report().id, DAY)


def test_the_fixtures_records_as_argo_avro_files_ingest_as_their_json_lines():
    """The fixture's metric data as the Avro files ARGO's ingestion writes (its metric_data
    schema), split in two files with a tenth of the records delivered twice, read by the columnar
    decoder, deduplicated and ordered: the same day table as the JSON lines, and no record lost."""
    import io
    import json

    import fastavro
    import numpy as np

    from platform_assets.argo import ingest
    from platform_assets.argo.records import METRIC_AVRO_SCHEMA, RecordSorter, dedup_and_sort

    day = DAY
    text = (FACTS / f"metric_data_{day}.jsonl").read_bytes()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    rng = np.random.default_rng(26)
    delivered = records + [records[i] for i in rng.choice(len(records), len(records) // 10, replace=False)]
    delivered = [delivered[i] for i in rng.permutation(len(delivered))]

    def table(files: dict[str, bytes]):
        sorter = RecordSorter(day=day)
        for name, payload in files.items():
            ingest.sort_file(sorter, name, payload)
        good, bad = sorter.take_tables()
        assert bad.num_rows == 0, bad.to_pylist()
        return dedup_and_sort(good)

    avro = {}
    for i, part in enumerate((delivered[: len(delivered) // 2], delivered[len(delivered) // 2 :])):
        buffer = io.BytesIO()
        fastavro.writer(buffer, METRIC_AVRO_SCHEMA, [{**r, "tags": r["tags"] or {}} for r in part])
        avro[f"part-{i}.avro"] = buffer.getvalue()
    from_json = table({f"{day}.jsonl": text})
    assert table(avro).equals(from_json)
    assert from_json.num_rows == len({json.dumps(r, sort_keys=True) for r in records})
