"""Connector snapshots read from the files ARGO's sync ingestion job writes (``sync_files`` source):
the conformance fixture's day written out as a sync folder (Avro with the ``argo.avro`` schemas, the
profile scripts' one-line JSON) gives every one of ARGO's 36 A/R documents, read locally, from S3
and from HDFS; a missing, empty or damaged file behaves as the original's reader would, or names
tenant, report, kind and file."""

import io
import json
from datetime import date, timedelta
from pathlib import Path

import boto3
import fastavro
import pytest

from platform_assets.argo.ar_inputs import build_inputs
from platform_assets.argo.ar_kernel import compute_ar
from platform_assets.argo.connector_kinds import CONNECTOR_KINDS, KINDS_BY_NAME
from platform_assets.argo.connectors import MissingSnapshotError, select_snapshot
from resources.argo_connectors import ArgoConnectorResource, ConnectorFetchError
from resources.model.tenancy import RegistryError, Source, parse_registry
from tests.argo.conformance.argo_api import DAY, _facts, api_answers, _records, expected_documents, report
from tests.argo.conformance.test_v3_fixture import _compare
from tests.webhdfs_standin import webhdfs

TENANT = "EGI"
TAGS = {"type": "map", "values": "string"}
SCHEMAS = {  # the argo.avro schemas of ARGO's sync job (flink_jobs/batch_ar/avro), as facts
    "metric_profile": ["profile", "service", "metric"],
    "group_endpoints": ["type", "group", "service", "hostname"],
    "group_groups": ["type", "group", "subgroup"],
    "weights": ["type", "site", "weight"],
    "downtimes": ["hostname", "service", "start_time", "end_time"],
}


def _avro(kind: str, records: list[dict]) -> bytes:
    fields = [{"name": n, "type": "string"} for n in SCHEMAS[kind]]
    if kind in ("metric_profile", "group_endpoints", "group_groups"):
        fields.append({"name": "tags", "type": ["null", TAGS]})
    schema = {"type": "record", "name": kind.title().replace("_", ""), "namespace": "argo.avro", "fields": fields}
    out = io.BytesIO()
    fastavro.writer(out, fastavro.parse_schema(schema), records, codec="null")
    return out.getvalue()


def sync_folder_files(day: date = DAY) -> dict[str, bytes]:
    """The fixture's report-day as the sync job and ARGO's profile scripts leave it: path -> bytes."""
    name = report().name
    metric, aggregation, operations = _facts("metric_profile"), _facts("aggregation_profile"), _facts("operations_profile")
    thresholds, downtimes = _facts("thresholds"), _facts("downtimes")
    d = day.isoformat()
    one_line = lambda doc: json.dumps(doc).encode() + b"\n"  # noqa: E731 - as json.dump wrote them
    return {
        f"{name}/metric_profile_{d}.avro": _avro("metric_profile", [
            {"profile": metric["name"], "service": s, "metric": m, "tags": None}
            for s, metrics in metric["services"].items() for m in metrics]),
        f"{name}/group_endpoints_{d}.avro": _avro("group_endpoints", [
            {"type": e["group_type"], "group": e["group"], "service": e["service"], "hostname": e["hostname"],
             "tags": {k: str(v) for k, v in e["tags"].items()}} for e in _facts("topology_endpoints")["endpoints"]]),
        f"{name}/group_groups_{d}.avro": _avro("group_groups", [
            {"type": g["group_type"], "group": g["group"], "subgroup": g["subgroup"],
             "tags": {k: str(v) for k, v in g["tags"].items()}} for g in _facts("topology_groups")["groups"]]),
        f"{name}/weights_{d}.avro": _avro("weights", []),
        f"{name}/downtimes_{d}.avro": _avro("downtimes", [
            {"hostname": x["hostname"], "service": x["service"], "start_time": x["start"], "end_time": x["end"]}
            for x in downtimes["downtimes"]]),
        f"{TENANT}_ops.json": one_line({
            "id": operations["id"], "name": operations["name"], "available_states": operations["states"],
            "defaults": operations["defaults"],
            "operations": [{"name": op, "truth_table": [{"a": a, "b": b, "x": x} for a, b, x in rows]}
                           for op, rows in operations["operations"].items()]}),
        f"{TENANT}_{name}_ap.json": one_line({
            "id": aggregation["id"], "name": aggregation["name"], "namespace": "",
            "endpoint_group": aggregation["endpoint_group"], "metric_operation": aggregation["metric_operation"],
            "profile_operation": aggregation["profile_operation"],
            "metric_profile": {"name": aggregation["metric_profile"]},
            "groups": [{"name": g["name"], "operation": g["operation"],
                        "services": [{"name": s, "operation": o} for s, o in g["services"].items()]}
                       for g in aggregation["groups"]]}),
        # the report's config as update_profiles saves the web API's answer
        f"{TENANT}_{name}_cfg.json": one_line(api_answers()["report_config"]["data"][0]),
        f"{TENANT}_{name}_thresholds.json": one_line(
            {"id": thresholds["id"], "name": thresholds["name"], "rules": thresholds["rules"]}),
        f"recomp_{TENANT}_{name}_{d}.json": one_line([
            {"id": r["id"], "status": r["status"], "start_time": r["start"], "end_time": r["end"],
             "exclude": r["exclude_groups"], "exclude_metrics": r["exclude_metrics"],
             "exclude_monitoring_source": [{"host": m["host"], "start_time": m["start"], "end_time": m["end"]}
                                           for m in r["exclude_monitoring_source"]]}
            for r in _facts("recomputations")["recomputations"]]),
    }


def _write(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return root


def _snapshots(resource: ArgoConnectorResource, root: str) -> dict[str, dict]:
    source = Source(kind="sync_files", root=root)
    snapshots = {}
    for kind in CONNECTOR_KINDS:
        fetch = lambda day, kind=kind: resource.fetch(source, TENANT, report().name, kind, day)  # noqa: E731
        snapshots[kind.name] = {"data": select_snapshot(fetch, TENANT, report().name, kind.name, DAY).data}
    return snapshots


def _ar_from(resource: ArgoConnectorResource, root: str):
    inputs = build_inputs(report(), DAY, _records(DAY), _records(DAY - timedelta(days=1)),
                          _snapshots(resource, root), "argo_v3")
    return compute_ar(inputs)


@pytest.mark.fast
def test_a_local_sync_folder_gives_every_one_of_argos_documents(tmp_path):
    root = _write(tmp_path / "sync", sync_folder_files())
    assert len(expected_documents()) == 36
    assert _compare(_ar_from(ArgoConnectorResource(), str(root))) == []
    assert _compare(_ar_from(ArgoConnectorResource(), f"file://{root}")) == []


def test_a_sync_folder_on_hdfs_reads_the_same(tmp_path):
    _write(tmp_path / "user/argo/tenants/EGI/sync", sync_folder_files())
    with webhdfs(tmp_path) as (url, users):
        resource = ArgoConnectorResource(webhdfs_url=url, webhdfs_user="argo")
        assert _compare(_ar_from(resource, "hdfs://namenode:8020/user/argo/tenants/EGI/sync")) == []
    assert set(users) == {"argo"}


def test_a_sync_folder_on_s3_reads_the_same(s3_endpoint, monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    s3.create_bucket(Bucket="argo-sync")
    for key, data in sync_folder_files().items():
        s3.put_object(Bucket="argo-sync", Key=f"tenants/EGI/sync/{key}", Body=data)
    resource = ArgoConnectorResource(s3_endpoint_url=s3_endpoint)
    assert _compare(_ar_from(resource, "s3://argo-sync/tenants/EGI/sync")) == []


def _fetch(root: Path, kind: str, day: date = DAY):
    source = Source(kind="sync_files", root=str(root))
    return ArgoConnectorResource().fetch(source, TENANT, report().name, KINDS_BY_NAME[kind], day)


@pytest.mark.fast
def test_dated_files_roll_back_as_the_wrappers_did_and_downtimes_never_do(tmp_path):
    earlier = DAY - timedelta(days=2)
    root = _write(tmp_path, {k: v for k, v in sync_folder_files(earlier).items() if k.endswith(".avro")})
    fetch = lambda kind: lambda day: _fetch(root, kind, day)  # noqa: E731
    snap = select_snapshot(fetch("topology_endpoints"), TENANT, report().name, "topology_endpoints", DAY)
    assert snap.date_used == earlier and snap.data
    with pytest.raises(MissingSnapshotError, match="no downtimes snapshot"):
        select_snapshot(fetch("downtimes"), TENANT, report().name, "downtimes", DAY)


@pytest.mark.fast
def test_profiles_recomputations_and_thresholds_by_every_name_the_scripts_used(tmp_path):
    name = report().name
    files = sync_folder_files()
    ops = files.pop(f"{TENANT}_ops.json")
    recomputations = files.pop(f"recomp_{TENANT}_{name}_{DAY}.json")
    root = _write(tmp_path, files)
    assert _fetch(root, "operations_profile") is None  # none: the A/R run says which is missing
    (root / f"{TENANT}_{name}_ops.json").write_bytes(ops)  # the later writer's name
    assert _fetch(root, "operations_profile")["name"] == json.loads(ops)["name"]
    (root / f"{TENANT}_ops_{DAY}.json").write_bytes(ops.replace(b'"name": "', b'"name": "dated-'))
    assert _fetch(root, "operations_profile")["name"].startswith("dated-")  # the day's version wins
    (root / "recomp.json").write_bytes(b"{}\n")  # what the profile script writes for none
    assert _fetch(root, "recomputations") == []
    (root / f"recomp_{DAY}.json").write_bytes(recomputations)  # v1.0's name
    assert len(_fetch(root, "recomputations")) == len(json.loads(recomputations))
    (root / f"{TENANT}_{name}_thresholds.json").unlink()
    assert _fetch(root, "thresholds_profile") is None  # optional: no thresholds profile
    (root / f"{TENANT}_{name}_ap.json").write_bytes(files[f"{TENANT}_{name}_ap.json"] + b"trailing text\n")
    assert _fetch(root, "aggregation_profile")["name"]  # ARGO's job read the first line only


@pytest.mark.fast
def test_an_empty_avro_file_is_no_snapshot_except_where_empty_is_valid(tmp_path):
    root = _write(tmp_path, {f"{report().name}/group_groups_{DAY}.avro": _avro("group_groups", []),
                             f"{report().name}/downtimes_{DAY}.avro": _avro("downtimes", [])})
    assert _fetch(root, "topology_groups") is None
    assert _fetch(root, "downtimes") == [{"date": DAY.isoformat(), "endpoints": []}]


@pytest.mark.parametrize("kind, relative, data, reason", [
    ("topology_endpoints", "{r}/group_endpoints_{d}.avro", b"Obj\x01 not really avro", "not a readable Avro file"),
    ("topology_endpoints", "{r}/group_endpoints_{d}.avro",
     _avro("group_groups", [{"type": "NGI", "group": "g", "subgroup": "s", "tags": None}]),
     "a record has no service, hostname"),
    ("weights", "{r}/weights_{d}.avro", _avro("weights", [{"type": "hepspec", "site": "S1", "weight": "lots"}]),
     "weight 'lots' of 'S1' is not a number"),
    ("aggregation_profile", "EGI_{r}_ap.json", b"{not json", "not JSON"),
])
@pytest.mark.fast
def test_a_damaged_file_names_tenant_report_kind_and_file(tmp_path, kind, relative, data, reason):
    path = relative.format(r=report().name, d=DAY)
    root = _write(tmp_path, {path: data})
    with pytest.raises(ConnectorFetchError) as error:
        _fetch(root, kind)
    assert f"tenant 'EGI', report '{report().name}', {kind}:" in str(error.value)
    assert path in str(error.value) and reason in str(error.value)


@pytest.mark.fast
def test_the_registry_takes_a_sync_folder_anywhere(tmp_path):
    def registry(source):
        return parse_registry({"tenants": [{"name": "EGI", "reports": [{"name": "Critical", "id": "r1"}],
                                            "sources": {"metric_data": {"kind": "files", "root": "m"},
                                                        "connectors": source}}]}, base_dir=tmp_path)
    assert registry({"kind": "sync_files", "root": "sync"}).get("EGI").connector_source.root == str(tmp_path / "sync")
    remote = "hdfs://nn:8020/user/argo/tenants/EGI/sync"
    assert registry({"kind": "sync_files", "root": remote}).get("EGI").connector_source.root == remote
    with pytest.raises(RegistryError, match="sync_files needs a root"):
        registry({"kind": "sync_files"})


@pytest.mark.fast
def test_a_root_on_an_unsupported_store_is_a_clear_error(tmp_path):
    source = Source(kind="sync_files", root="s3a://bucket/tenants/EGI/sync")
    with pytest.raises(ConnectorFetchError, match=r"local, file://, s3:// or hdfs://, not s3a://"):
        ArgoConnectorResource().fetch(source, TENANT, report().name, KINDS_BY_NAME["operations_profile"], DAY)


@pytest.mark.fast
def test_recomputations_are_never_taken_from_the_day_before(tmp_path):
    name = report().name
    root = _write(tmp_path, {f"recomp_{TENANT}_{name}_{DAY - timedelta(days=1)}.json": b'[{"id": "old"}]\n'})
    fetch = lambda day: _fetch(root, "recomputations", day)  # noqa: E731
    snap = select_snapshot(fetch, TENANT, name, "recomputations", DAY)
    assert (snap.date_used, snap.data) == (DAY, [])  # none for the day, not yesterday's


@pytest.mark.fast
def test_the_per_report_operations_profile_wins_over_the_tenants(tmp_path):
    name = report().name
    ops = sync_folder_files()[f"{TENANT}_ops.json"]
    root = _write(tmp_path, {f"{TENANT}_ops.json": ops.replace(b'"name": "', b'"name": "tenant-'),
                             f"{TENANT}_{name}_ops.json": ops.replace(b'"name": "', b'"name": "report-')})
    assert _fetch(root, "operations_profile")["name"].startswith("report-")


def test_s3_refusals_name_tenant_report_and_kind(s3_endpoint, monkeypatch):
    for var, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(var, value)
    source = Source(kind="sync_files", root="s3://no-such-bucket-weir/sync")
    with pytest.raises(ConnectorFetchError, match=f"tenant 'EGI', report '{report().name}', aggregation_profile"):
        ArgoConnectorResource(s3_endpoint_url=s3_endpoint).fetch(
            source, TENANT, report().name, KINDS_BY_NAME["aggregation_profile"], DAY)
