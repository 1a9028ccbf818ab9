"""Which runs the coordinator gives a tenant tag (platform_assets/tenant_runs.py)."""

import pytest

from platform_assets.tenant_runs import tenant_tags

pytestmark = pytest.mark.fast

START, END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


TAG = "weir/partition_tenant"


@pytest.mark.parametrize("tags, expected", [
    ({START: "2026-11-01|acme", END: "2026-11-30|acme"}, {TAG: "acme"}),
    ({START: "2026-11-01|acme", END: "2026-11-30|globex"}, {}),        # across tenants: no single value
    ({START: "2026-11-01", END: "2026-11-30"}, {}),                    # a day-only range (warehouse)
    ({START: "2026-11-01|acme"}, {}),                                  # half a range
    ({"dagster/partition": "2026-11-01|acme", "dagster/partition/tenant": "acme"}, {TAG: "acme"}),  # one day
    ({TAG: "acme", START: "2026-11-01|acme", END: "2026-11-02|acme"}, {}),  # already tagged
    ({"dagster/partition": "2026-11-01"}, {}),                         # another slice's day
])
def test_tenant_tag_of_a_run(tags, expected):
    assert tenant_tags(tags) == expected
