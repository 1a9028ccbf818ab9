"""The task graphs' cron check agrees with Dagster's own on the schedules graph files use."""

import pytest
from dagster._utils.schedules import is_valid_cron_string

from platform_assets.taskflows.cron import is_valid_cron

pytestmark = pytest.mark.fast  # no external service: make test-fast

CASES = ["* * * * *", "0 1 * * *", "*/15 2-5 * * mon-fri", "0 0 1 jan *", "every night", "61 * * * *",
         "0 0 * * 7", "@daily", "@hourly", "0 0 * *", "1,2,3 * * * *", "*/0 * * * *", "0 24 * * *",
         "0 0 * * SUN", "5-1 * * * *", "0 0 0 * *", "0 0 * 13 *", "", "* * * * * *"]


@pytest.mark.parametrize("schedule", CASES)
def test_agrees_with_dagster(schedule):
    assert is_valid_cron(schedule) == is_valid_cron_string(schedule)
