"""The runner's request: validation (4xx material) and the parameter merge."""

import pytest

from platform_assets.job_templates.requests import RequestError, merge_parameters, parse_request

pytestmark = pytest.mark.fast  # no external service: make test-fast

GOOD = {"user-id": "u1", "user-run-id": "run-42", "source-type": "oracle", "target-type": "s3",
        "runtime-parameters": [{"TABLE": "orders", "DAY": "2026-03-01"}, {"TABLE": "customers", "LIMIT": 10}]}


def test_a_good_request_parses():
    request = parse_request(GOOD)
    assert (request.user_id, request.source_type, len(request.parameter_sets)) == ("u1", "oracle", 2)


@pytest.mark.parametrize("change, problem", [
    ({"user-id": None}, "user-id: required"),
    ({"user-run-id": ""}, "user-run-id: required"),
    ({"source-type": "oracle'; DROP TABLE streamsets.job_template; --"}, "source-type: only letters"),
    ({"target-type": 7}, "target-type: required, a non-empty string"),
    ({"runtime-parameters": []}, "runtime-parameters: required, a non-empty list"),
    ({"runtime-parameters": {"TABLE": "x"}}, "runtime-parameters: required, a non-empty list"),
    ({"runtime-parameters": [{}]}, r"runtime-parameters\[0\]: must be a non-empty object"),
    ({"runtime-parameters": ["TABLE=x"]}, r"runtime-parameters\[0\]: must be a non-empty object"),
    ({"runtime-parameters": [{"TABLE": {"nested": 1}}]}, r"runtime-parameters\[0\].TABLE: must be a string"),
    ({"runtime-parameters": [{"TABLE": True}]}, r"runtime-parameters\[0\].TABLE: must be a string"),
    ({"runtime-parameters": [{"bad key!": 1}]}, r"key 'bad key!' is not a parameter name"),
    ({"runtime-parameters": [{"T": "x" * 5000}]}, "at most 4096 characters"),
    ({"runtime-parameters": [{"T": 1}] * 501}, "at most 500 sets"),
    ({"user-id": "ü" * 200}, "at most 128 characters"),
])
def test_bad_requests_name_the_field(change, problem):
    with pytest.raises(RequestError, match=problem):
        parse_request({**GOOD, **change})


def test_non_object_body_is_refused():
    with pytest.raises(RequestError, match="JSON object"):
        parse_request(["not", "an", "object"])


def test_unicode_values_are_kept_as_given():
    request = parse_request({**GOOD, "runtime-parameters": [{"NAME": "Zürich 東京 \u202e"}]})
    assert request.parameter_sets[0]["NAME"] == "Zürich 東京 \u202e"


def test_merge_fills_static_defaults_and_adds_connections():
    merged = merge_parameters({"TABLE": "orders", "BATCH": 50}, {"BATCH": 1000, "FORMAT": "parquet"},
                              {"SOURCE_CONNECTION": "conn-oracle-1"})
    assert merged == {"BATCH": 50, "FORMAT": "parquet", "TABLE": "orders", "SOURCE_CONNECTION": "conn-oracle-1"}


def test_caller_may_not_set_a_connection():
    with pytest.raises(RequestError, match="SOURCE_CONNECTION are connections set by the administrator"):
        merge_parameters({"SOURCE_CONNECTION": "evil"}, {}, {"SOURCE_CONNECTION": "conn-oracle-1"})
