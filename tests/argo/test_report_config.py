"""The report's config (``/reports/<id>``) as a connector kind, and a metric the profile gains on
the day starting UNKNOWN (issue 26): the profiles the report names by id, its group types, its
thresholds profile or none, and every way a config can be unusable, each with a clear error."""

from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pytest

from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_inputs import build_inputs
from platform_assets.argo.ar_kernel import compute_ar
from platform_assets.argo.connector_kinds import KINDS_BY_NAME
from platform_assets.argo.assets_connectors import day_fetcher
from platform_assets.argo.connectors import select_snapshot
from platform_assets.argo.report_config import ReportContext, parse_report_config
from platform_assets.argo.status_metrics import status_metric_rows
from resources.argo_connectors import ArgoConnectorResource, snapshot_path
from resources.model.tenancy import Report, Source
from tests.argo.conformance.argo_api import DAY as FIXTURE_DAY
from tests.argo.conformance.argo_api import _records, api_answers, report
from tests.argo.kernel_world import DAY, at, inputs
from tests.argo_api import argo_web_api

pytestmark = pytest.mark.fast

REPORT = Report("Critical", "r-1")
OK_DAY = [(at(0), "S", "h1", "m1", "OK"), (at(0), "S", "h1", "m2", "OK")]
ENVELOPE = {"status": {"message": "Success", "code": "200"}}


def config(**changes) -> dict:
    doc = {
        "id": "r-1", "tenant": "ACME", "info": {"name": "Critical"},
        "topology_schema": {"group": {"type": "NGI", "group": {"type": "SITES"}}},
        "profiles": [{"id": "mp-1", "name": "ACME_CRITICAL", "type": "metric"},
                     {"id": "ap-1", "name": "critical", "type": "aggregation"},
                     {"id": "op-1", "name": "ops", "type": "operations"}],
    }
    return {**doc, **changes}


def metric_profile(profile_id: str, name: str, services: dict, day: str = "2024-01-01") -> dict:
    return {"id": profile_id, "name": name, "date": day,
            "services": [{"service": s, "metrics": list(m)} for s, m in services.items()]}


def test_the_config_names_profiles_by_id_and_the_group_types():
    parsed = parse_report_config({**ENVELOPE, "data": [config()]}["data"], REPORT)
    assert parsed.profile_ids == {"metric": "mp-1", "aggregation": "ap-1", "operations": "op-1"}
    assert (parsed.group_type, parsed.endpoint_group_type) == ("NGI", "SITES")
    # the last entry of a type wins, as in the original's loop over profiles[]
    twice = config(profiles=[*config()["profiles"], {"id": "mp-2", "name": "other", "type": "metric"}])
    assert parse_report_config(twice, REPORT).profile_ids["metric"] == "mp-2"
    # an empty answer is no config: profiles are then picked by the report's name
    assert KINDS_BY_NAME["report_config"].parse({**ENVELOPE, "data": []}, ReportContext(REPORT)) is None


@pytest.mark.parametrize("doc, field", [
    (config(profiles=[{"id": "ap-1", "type": "aggregation"}, {"id": "op-1", "type": "operations"}]),
     "names no metric profile"),
    (config(topology_schema={"group": {"type": "NGI"}}), "topology_schema.group.group.type"),
    (config(profiles="metric"), "profiles is not a list"),
    (config(id="r-2"), "field id is 'r-2', the registry's report id is 'r-1'"),
    (config(id="r-2", info={"name": "Other"}), "expected the report with id 'r-1' or name 'Critical'"),
    (config(profiles=[{"id": "mp-1"}]), "entry without a type"),
])
def test_an_unusable_config_names_the_field(doc, field):
    with pytest.raises(pr.ProfileError, match=f"report_config: .*{field}"):
        parse_report_config([doc], REPORT)


def test_two_metric_profiles_none_named_like_the_report_are_told_apart_by_id():
    """Refused before ("expected one profile"); ARGO fetches the profile by the config's id."""
    answer = [metric_profile("mp-0", "OTHER", {"S": ["x"]}), metric_profile("mp-1", "ACME_CRITICAL", {"S": ["m1"]})]
    context = ReportContext(REPORT, parse_report_config([config()], REPORT))
    assert KINDS_BY_NAME["metric_profile"].parse(answer, context) == {"S": ("m1",)}
    with pytest.raises(pr.ProfileError, match="expected one profile"):
        KINDS_BY_NAME["metric_profile"].parse(answer, ReportContext(REPORT))
    missing = ReportContext(REPORT, parse_report_config([config(profiles=[
        {"id": "mp-9", "type": "metric"}, {"id": "ap-1", "type": "aggregation"},
        {"id": "op-1", "type": "operations"}])], REPORT))
    with pytest.raises(pr.ProfileError, match=r"metric_profile: .*'mp-9' \(field profiles\[\]\.id\).*mp-0"):
        KINDS_BY_NAME["metric_profile"].parse(answer, missing)


def test_a_thresholds_profile_applies_only_when_the_config_names_it():
    rules = [{"id": "tp-1", "name": "t", "rules": [{"metric": "m1", "thresholds": "f=1;0:5"}]}]
    without = ReportContext(REPORT, parse_report_config([config()], REPORT))
    assert KINDS_BY_NAME["thresholds_profile"].parse(rules, without) is None
    named = ReportContext(REPORT, parse_report_config([config(profiles=[
        *config()["profiles"], {"id": "tp-1", "name": "t", "type": "thresholds"}])], REPORT))
    assert KINDS_BY_NAME["thresholds_profile"].parse(rules, named).metrics == {"m1"}
    with pytest.raises(pr.ProfileError, match="thresholds_profile: .*'tp-1'.*holds none"):
        KINDS_BY_NAME["thresholds_profile"].parse([], named)
    assert KINDS_BY_NAME["thresholds_profile"].parse(rules, ReportContext(REPORT)).metrics == {"m1"}


def test_supergroups_are_the_groups_of_the_reports_type_first_entry_first():
    groups = [{"group": "PROJ", "type": "PROJECT", "subgroup": "G1"},
              {"group": "NGI_A", "type": "NGI", "subgroup": "G1"},
              {"group": "NGI_B", "type": "NGI", "subgroup": "G1"},
              {"group": "PROJ", "type": "PROJECT", "subgroup": "G2"}]
    context = ReportContext(REPORT, parse_report_config([config()], REPORT))
    assert KINDS_BY_NAME["topology_groups"].parse(groups, context) == {"G1": "NGI_A"}
    assert KINDS_BY_NAME["topology_groups"].parse(groups, ReportContext(REPORT)) == {"G1": "PROJ", "G2": "PROJ"}
    # a group with no group of groups of the report's type: supergroup null, as ARGO writes it
    result = compute_ar(replace(inputs([(at(0), "S", "h1", "m1", "OK")]), supergroups={}))
    assert result.endpoint_group_ar["supergroup"].tolist() == [None]


def test_the_fixture_through_its_report_config_labels_no_group():
    """ARGO's own fixture: its groups of groups are SITES, the report's PROJECT: every
    endpoint_group_ar document has supergroup null (asserted with the A/R in the conformance test)."""
    snapshots = {kind: {"data": answer} for kind, answer in api_answers().items()}
    data = build_inputs(report(), FIXTURE_DAY, _records(FIXTURE_DAY), None, snapshots)
    assert data.supergroups == {}
    unconfigured = {k: v for k, v in snapshots.items() if k != "report_config"}
    assert set(build_inputs(report(), FIXTURE_DAY, _records(FIXTURE_DAY), None, unconfigured)
               .supergroups.values()) == {"GROUP_A", "GROUP_2", "GROUP_C"}


def test_the_api_serves_the_config_by_report_id(tmp_path):
    path = snapshot_path(tmp_path, "acme", "Critical", "report_config", DAY)
    path.parent.mkdir(parents=True)
    path.write_text(__import__("json").dumps([config()]))
    with argo_web_api(tmp_path, {"k": ("acme", "Critical", "r-1")}) as url:
        source = Source(kind="api", url=url, token="k")
        got = ArgoConnectorResource().fetch(source, "acme", "Critical", KINDS_BY_NAME["report_config"], DAY,
                                            report_id="r-1")
        assert got[0]["id"] == "r-1"
        # fetched by name, the stand-in (like the API) has no such report: none
        assert ArgoConnectorResource().fetch(source, "acme", "Critical", KINDS_BY_NAME["report_config"],
                                             DAY) is None


# --- a metric the profile gains on the day ---------------------------------------------------

def _version(services: dict, day: str, name: str = "P") -> pr.MetricProfileVersion:
    return pr.parse_metric_profile_version([metric_profile("mp-1", name, services, day)])


def test_new_entries_only_when_the_days_version_starts_that_day():
    before = _version({"S": ["m1"]}, "2024-03-01")
    assert pr.new_metric_entries(_version({"S": ["m1", "m2"]}, str(DAY)), before, str(DAY)) == {("S", "m2")}
    # a version that started earlier: nothing is new (ARGO does not look at the day before)
    assert pr.new_metric_entries(_version({"S": ["m1", "m2"]}, "2024-03-09"), before, str(DAY)) == set()
    # no version the day before: none (the original's comparison has nothing to compare with)
    assert pr.new_metric_entries(_version({"S": ["m1", "m2"]}, str(DAY)), None, str(DAY)) == set()
    # renamed on the day: every entry is new (it compares profile, service and metric)
    renamed = _version({"S": ["m1", "m2"]}, str(DAY), name="P2")
    assert pr.new_metric_entries(renamed, before, str(DAY)) == {("S", "m1"), ("S", "m2")}


def _status(result, level="status_endpoints"):
    return [(int(t), int(s)) for t, s in getattr(result, level)[["t", "status"]].itertuples(index=False)]


def test_a_new_metric_without_data_is_unknown_all_day_not_missing():
    day = [(at(0), "S", "h1", "m1", "OK")]
    plain = inputs(day)
    ops = plain.operations
    new = replace(plain, new_metrics=frozenset({("S", "m2")}))
    assert _status(compute_ar(plain)) == [(0, ops.code("MISSING"))]
    assert _status(compute_ar(new)) == [(0, ops.code("UNKNOWN"))]
    rows = status_metric_rows(new)
    m2 = rows[rows["metric"] == "m2"]
    assert m2[["status", "timestamp"]].values.tolist() == [["UNKNOWN", f"{DAY}T00:00:00Z"]]


def test_a_new_metric_with_data_starts_unknown_until_its_first_record():
    day = [(at(0), "S", "h1", "m1", "OK"), (at(6), "S", "h1", "m2", "OK")]
    plain, ops = inputs(day), inputs(day).operations
    new = replace(plain, new_metrics=frozenset({("S", "m2")}))
    assert _status(compute_ar(plain)) == [(0, ops.code("MISSING")), (6 * 3600, ops.code("OK"))]
    assert _status(compute_ar(new)) == [(0, ops.code("UNKNOWN")), (6 * 3600, ops.code("OK"))]
    # even a series that reported the day before starts the day UNKNOWN: the profile's new entry
    carried = replace(inputs(day, [(at(-2), "S", "h1", "m2", "CRITICAL")]), new_metrics=new.new_metrics)
    assert _status(compute_ar(carried)) == [(0, ops.code("UNKNOWN")), (6 * 3600, ops.code("OK"))]
    rows = status_metric_rows(carried)
    m2 = rows[rows["metric"] == "m2"][["status", "timestamp", "previous_state"]].values.tolist()
    assert m2 == [["UNKNOWN", f"{DAY}T00:00:00Z", "CRITICAL"], ["OK", f"{DAY}T06:00:00Z", "UNKNOWN"]]


def test_the_previous_days_profile_is_fetched_for_the_day_before(tmp_path):
    """``metric_profile_previous_day`` asks the source for D-1 (rollback from there), and the A/R
    inputs take the day's new entries from the two versions."""
    root = tmp_path
    for day, services in ((DAY - timedelta(days=2), {"S": ["m1"]}), (DAY, {"S": ["m1", "m2"]})):
        path = snapshot_path(root, "acme", "Critical", "metric_profile", day)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(__import__("json").dumps([metric_profile("mp-1", "P", services, str(day))]))
    source, kind = Source(kind="files", root=str(root)), KINDS_BY_NAME["metric_profile_previous_day"]
    resource, report_entry = ArgoConnectorResource(), Report("Critical", "r-1")
    # as the connector asset fetches it: the metric_profile folder, from the day before back
    fetch = day_fetcher(resource, source, "acme", report_entry, kind)
    snap = select_snapshot(fetch, "acme", "Critical", kind.name, DAY)
    assert snap.date_used == DAY - timedelta(days=2) and snap.fallback
    today = select_snapshot(day_fetcher(resource, source, "acme", report_entry, KINDS_BY_NAME["metric_profile"]),
                            "acme", "Critical", "metric_profile", DAY)
    assert not today.fallback
    # none the day before at all: an empty snapshot of its own day, not a fallback
    empty = select_snapshot(lambda d: None, "acme", "Critical", kind.name, DAY)
    assert empty.data == [] and empty.date_used == DAY - timedelta(days=1) and not empty.fallback
    data = inputs([(at(0), "S", "h1", "m1", "OK")])
    snapshots = {"metric_profile": {"data": today.data}, "metric_profile_previous_day": {"data": snap.data}}
    for other in ("topology_endpoints", "topology_groups", "downtimes", "operations_profile",
                  "aggregation_profile", "recomputations"):
        snapshots[other] = {"data": _minimal(other)}
    built = build_inputs(Report("Critical", "r-1"), DAY, data.records, None, snapshots)
    assert built.new_metrics == {("S", "m2")}
    # a profile created that day (the day before holds another): nothing new, no failure
    snapshots["report_config"] = {"data": [config(profiles=[
        {"id": "mp-1", "type": "metric"}, {"id": "ap-1", "type": "aggregation"}, {"id": "op-1", "type": "operations"}])]}
    snapshots["metric_profile_previous_day"] = {"data": [metric_profile("mp-0", "OLD", {"S": ["m1"]})]}
    for name in ("aggregation_profile", "operations_profile"):
        snapshots[name]["data"] = [{**snapshots[name]["data"][0], "id": {"aggregation_profile": "ap-1",
                                                                          "operations_profile": "op-1"}[name]}]
    assert build_inputs(Report("Critical", "r-1"), DAY, data.records, None, snapshots).new_metrics == set()


def _minimal(kind: str):
    from platform_assets.demo.argo_sample import operations_profile

    return {
        "topology_endpoints": [{"group": "G1", "type": "SITES", "service": "S", "hostname": "h1"}],
        "topology_groups": [],
        "downtimes": [],
        "operations_profile": [operations_profile()],
        "aggregation_profile": [{"name": "a", "metric_operation": "AND", "profile_operation": "AND",
                                 "groups": [{"name": "g", "operation": "OR",
                                             "services": [{"name": "S", "operation": "OR"}]}]}],
        "recomputations": [],
    }[kind]


def test_profile_groups_are_keyed_by_name_and_a_service_counts_in_its_last_group():
    """ARGO's aggregation profile manager keeps one group per name (the first one's operation)
    and indexes each service to the last group that lists it."""
    doc = {"metric_operation": "AND", "profile_operation": "AND", "groups": [
        {"name": "compute", "operation": "OR", "services": [{"name": "A", "operation": "OR"}]},
        {"name": "storage", "operation": "AND", "services": [{"name": "B", "operation": "AND"}]},
        {"name": "compute", "operation": "AND", "services": [{"name": "C", "operation": "AND"},
                                                              {"name": "B", "operation": "OR"}]}]}
    profile = pr.parse_aggregation_profile(doc)
    assert [(g.name, g.operation, g.services) for g in profile.groups] == [
        ("compute", "OR", {"A": "OR", "C": "AND", "B": "OR"}), ("storage", "AND", {"B": "AND"})]
    assert profile.service_groups() == {"A": (0, "OR"), "B": (0, "OR"), "C": (0, "AND")}
    # three services under one name: the group is OR over them, not AND over three groups
    day = [(at(0), "S1", "h1", "m1", "OK"), (at(0), "S2", "h2", "m1", "CRITICAL")]
    same_name = {"metric_operation": "AND", "profile_operation": "AND", "groups": [
        {"name": "f", "operation": "OR", "services": [{"name": s, "operation": "OR"}]} for s in ("S1", "S2")]}
    world = replace(inputs(day, endpoints=[("G1", "S1", "h1"), ("G1", "S2", "h2")],
                           metrics={"S1": ("m1",), "S2": ("m1",)}),
                    aggregation=pr.parse_aggregation_profile(same_name))
    assert compute_ar(world).endpoint_group_ar["availability"].tolist() == [100.0]


# --- memberships ARGO takes no records for ----------------------------------------------------

def test_a_membership_outside_the_reports_topology_is_missing_all_day():
    """h1 sits in G1 (a subgroup in topology_groups) and G2 (not one): ARGO's job takes h1's
    records for G1 only and fills G2's copy MISSING all day (downtimes still apply to it)."""
    endpoints = pd.DataFrame([("G1", "S", "h1", None, ("SITES",)), ("G2", "S", "h1", None, ("SITES",))],
                             columns=["group", "service", "hostname", "info", "types"])
    marked = pr.mark_memberships(endpoints, "SITES", frozenset({"G1", "G9"}))
    assert marked["valid"].tolist() == [True, False]
    world = replace(inputs(OK_DAY, endpoints=[("G1", "S", "h1"), ("G2", "S", "h1")]), endpoints=marked,
                    downtimes=pd.DataFrame([("h1", "S", at(9), at(10))], columns=["hostname", "service", "start", "end"]))
    result = compute_ar(world)
    ops = world.operations
    by_group = {g: [(int(t), ops.states[s]) for t, s in zip(rows["t"], rows["status"], strict=True)]
                for g, rows in result.status_endpoints.groupby("group")}
    assert by_group["G1"] == [(0, "OK"), (9 * 3600, "DOWNTIME"), (10 * 3600 + 60, "OK")]
    assert by_group["G2"] == [(0, "MISSING"), (9 * 3600, "DOWNTIME"), (10 * 3600 + 60, "MISSING")]
    ar = result.endpoint_ar.set_index("supergroup")
    assert ar.loc["G1", "reliability"] == 100.0 and ar.loc["G2", "up"] == 0.0
    rows = status_metric_rows(world)
    g2 = rows[rows["group"] == "G2"][["metric", "status", "timestamp"]].values.tolist()
    assert g2 == [["m1", "MISSING", f"{DAY}T00:00:00Z"], ["m2", "MISSING", f"{DAY}T00:00:00Z"]]
    assert len(rows[rows["group"] == "G1"]) == 2


def test_the_endpoint_group_type_comes_from_the_reports_config():
    topology = [{"group": "G1", "type": "SITES", "service": "S", "hostname": "h1"},
                {"group": "SG", "type": "SERVICEGROUPS", "service": "S", "hostname": "h1"},
                {"group": "G3", "service": "S", "hostname": "h3"}]  # no type: taken as the report's
    endpoints = pr.parse_topology_endpoints(topology)
    marked = pr.mark_memberships(endpoints, "SITES", frozenset())
    assert dict(zip(marked["group"], marked["valid"], strict=True)) == {"G1": True, "G3": True, "SG": False}
    # without a config (no type known) and without topology groups, every membership is taken
    assert pr.mark_memberships(endpoints, None, frozenset())["valid"].all()


def test_a_service_outside_the_aggregation_profile_is_not_computed():
    """T is in the metric profile but in no profile group: ARGO's job drops its records and fills
    no gaps for it, so it has no endpoint_ar, no status rows and no status_metrics."""
    day = [(at(0), "S", "h1", "m1", "OK"), (at(0), "T", "h2", "m1", "CRITICAL")]
    world = inputs(day, endpoints=[("G1", "S", "h1"), ("G1", "T", "h2")], metrics={"S": ("m1",), "T": ("m1",)})
    only_s = pr.parse_aggregation_profile({"metric_operation": "AND", "profile_operation": "AND", "groups": [
        {"name": "g", "operation": "OR", "services": [{"name": "S", "operation": "OR"}]}]})
    result = compute_ar(replace(world, aggregation=only_s))
    assert result.endpoint_ar["service"].tolist() == ["S"] and set(result.status_endpoints["service"]) == {"S"}
    assert result.stats["records_outside_profile"] == 1
    assert set(status_metric_rows(replace(world, aggregation=only_s))["service"]) == {"S"}
    assert compute_ar(world).endpoint_ar["service"].tolist() == ["S", "T"]  # both in the profile


def test_a_group_without_supergroup_is_null_and_upserted_once(tmp_path):
    """The document has supergroup null (never a NaN) on either path, so upserting the same day
    twice replaces it."""
    from platform_assets.argo.assets_ar import ar_documents
    from resources.results_store import LocalResultsStore

    result = compute_ar(replace(inputs([(at(0), "S", "h1", "m1", "OK")]), supergroups={}))
    docs = ar_documents(pa.Table.from_pandas(result.endpoint_group_ar, preserve_index=False))
    assert docs[0]["supergroup"] is None
    store = LocalResultsStore(str(tmp_path))
    for _ in range(2):
        store.write_day("acme", "endpoint_group_ar", "r1", DAY, docs, "upsert")
    assert [d["supergroup"] for d in store.read_day("acme", "endpoint_group_ar", "r1", DAY)] == [None]
