"""The same A/R kernel on Spark local[2] gives identical results to the local engine."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from platform_assets.argo import profiles as pr
from platform_assets.demo import argo_sample as sd
from platform_assets.argo.ar_kernel import ArInputs, compute_ar
from platform_assets.argo.assets_ar import AR_KERNEL
from resources.compute import SparkEngine


def sample_inputs(seed: int, n_sites: int) -> ArInputs:
    rng = np.random.default_rng(seed)
    fed = sd.federation("acme", n_sites, rng)
    day = date(2024, 3, 10)
    snap = sd.connector_snapshots(fed, "Critical", day, rng)
    records = sd.metric_frame(fed, day, rng, silent_fraction=0.1)
    records = records.iloc[rng.permutation(len(records))]  # arrival order is not time order
    return ArInputs(
        report="crit", day=day, records=records, previous=sd.metric_frame(fed, day - timedelta(days=1), rng),
        metric_profile=pr.parse_metric_profile(snap["metric_profile"]),
        aggregation=pr.parse_aggregation_profile(snap["aggregation_profile"]),
        operations=pr.parse_operations_profile(snap["operations_profile"]),
        endpoints=pr.parse_topology_endpoints(snap["topology_endpoints"]),
        supergroups=pr.parse_topology_groups(snap["topology_groups"]),
        downtimes=pr.parse_downtimes(snap["downtimes"]), weights=pr.parse_weights(snap["weights"]))


@pytest.mark.spark
@pytest.mark.parametrize("as_read", [False, True], ids=["plain_text", "categoricals"])
def test_spark_and_local_engines_agree(spark, as_read):
    """Also with the records as ``read_records`` gives them (text columns as categoricals)."""
    inputs = sample_inputs(seed=7, n_sites=15)
    if as_read:
        from dataclasses import replace

        from tests.argo.test_categorical_records import categorical

        inputs = replace(inputs, records=categorical(inputs.records), previous=categorical(inputs.previous))
    local = compute_ar(inputs)
    on_spark = SparkEngine(pyspark=spark).run(AR_KERNEL, inputs)
    for level in ("endpoint_ar", "service_ar", "endpoint_group_ar"):
        a, b = getattr(local, level), getattr(on_spark, level)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


@pytest.mark.spark
def test_group_without_any_records_is_kept_on_spark(spark):
    inputs = sample_inputs(seed=3, n_sites=4)
    silent_site = inputs.endpoints["group"].iloc[0]
    silent_hosts = inputs.endpoints.loc[inputs.endpoints["group"] == silent_site, "hostname"]
    records = inputs.records[~inputs.records["hostname"].isin(silent_hosts)]
    inputs = ArInputs(**{**inputs.__dict__, "records": records, "previous": None})
    on_spark = SparkEngine(pyspark=spark).run(AR_KERNEL, inputs)
    group = on_spark.endpoint_group_ar.set_index("name").loc[silent_site]
    assert (group.availability, group.unknown) == (-1.0, 1.0)
    pd.testing.assert_frame_equal(compute_ar(inputs).endpoint_group_ar, on_spark.endpoint_group_ar, check_dtype=False)


@pytest.mark.spark
def test_rules_naming_a_group_act_on_that_groups_copy_on_both_engines(spark):
    """The sample federation shares one endpoint between two sites: an exclusion naming the second
    site and a metric status change naming the first act on that site's copy only, on Spark (one
    group at a time) as on the local engine."""
    inputs = sample_inputs(seed=11, n_sites=6)
    shared = inputs.endpoints.groupby(["service", "hostname"])["group"].unique()
    (service, host), (first, second) = next((key, groups) for key, groups in shared.items() if len(groups) == 2)
    metric = inputs.metric_profile[service][0]
    day = pd.Timestamp(inputs.day, tz="UTC")
    exclusion = pr.MetricExclusion(metric, second, None, host, day, day + timedelta(hours=9))
    change = pr.StatusChange("CRITICAL", first, None, host, metric, day + timedelta(hours=2),
                             day + timedelta(hours=5))
    inputs = ArInputs(**{**inputs.__dict__, "metric_exclusions": [exclusion], "status_changes": [change]})
    local = compute_ar(inputs)
    copies = local.endpoint_ar[local.endpoint_ar["name"] == host].set_index("supergroup")
    assert copies.loc[first, "availability"] != copies.loc[second, "availability"]
    on_spark = SparkEngine(pyspark=spark).run(AR_KERNEL, inputs)
    for level in ("endpoint_ar", "service_ar", "endpoint_group_ar"):
        pd.testing.assert_frame_equal(getattr(local, level), getattr(on_spark, level), check_dtype=False)
