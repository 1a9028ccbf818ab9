"""Every name pattern is matched whole: ``$`` would let a trailing newline through (a tenant
``acme\\n``, a parameter key ``SOURCE_CONNECTION\\n`` slipping past the administrator-only check)."""

import pytest

from platform_assets.job_templates.requests import RequestError, parse_request
from resources.model.tenancy import RegistryError, validate_name

pytestmark = pytest.mark.fast  # no external service: make test-fast


@pytest.mark.parametrize("name", ["acme\n", "acme\r\n", "\nacme", "ac me"])
def test_tenant_and_report_names_with_a_newline_are_refused(name):
    with pytest.raises(RegistryError):
        validate_name(name, "tenant")
    assert validate_name("acme", "tenant") == "acme"


def request(**parameters):
    return {"user-id": "u1", "user-run-id": "r1", "source-type": "s3", "target-type": "pg",
            "runtime-parameters": [parameters]}


@pytest.mark.parametrize("key", ["SOURCE_CONNECTION\n", "TABLE\n", "a b"])
def test_parameter_keys_with_a_newline_are_refused(key):
    with pytest.raises(RequestError, match="not a parameter name"):
        parse_request(request(**{key: "x"}))


@pytest.mark.parametrize("field", ["user-id", "user-run-id", "source-type", "target-type"])
def test_request_ids_with_a_newline_are_refused(field):
    payload = request(TABLE="x")
    payload[field] = payload[field] + "\n"
    with pytest.raises(RequestError):
        parse_request(payload)
