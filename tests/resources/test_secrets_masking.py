"""One masking function hides every credential shape Weir may show: URL and DSN passwords, secret
parameters (libpq, URL queries, Spark confs), secret flags' values, Slack webhook paths and the
value of any secret variable that is set."""

import pytest
import requests

from resources.alerts import AlertsResource
from resources.flink import masked
from resources.model.secrets import MASK, looks_secret, mask_args, mask_text

pytestmark = pytest.mark.fast  # no external service: make test-fast


@pytest.mark.parametrize("shown, secret", [
    ("mongodb://argo:S3cret!@mongo:27017/ar", "S3cret!"),
    ("postgresql://weir:pw12345@db:5432/x?sslmode=require", "pw12345"),
    ("host=db user=weir password=pw12345 dbname=x", "pw12345"),
    ("https://hooks.slack.com/services/T000/B000/XXXXsecret", "T000/B000/XXXXsecret"),
    ("--conf spark.hadoop.fs.s3a.secret.key=AKIAsecretvalue", "AKIAsecretvalue"),
    ("http://proxyuser:proxypw@proxy:3128", "proxypw"),
    ("GET /x?password=zzz999&x=1", "zzz999"),
    ("token: abcd1234", "abcd1234"),
    ("api_key='xyz12345'", "xyz12345"),
])
def test_credential_shapes_are_hidden(shown, secret):
    out = mask_text(shown, env={})
    assert secret not in out and MASK in out


def test_user_names_and_ordinary_text_stay():
    assert mask_text("mongodb://argo:pw@mongo/ar", env={}).startswith("mongodb://argo:***@")
    for text in ("plain text with key=value and passage=ok", "O'Brien", "report=Critical"):
        assert mask_text(text, env={}) == text


def test_values_of_set_secret_variables_are_hidden_anywhere():
    env = {"SMTP_PASSWORD": "hunter22x", "MY_SERVICE_TOKEN": "tok-98765", "LANG": "C.UTF-8"}
    assert mask_text("sent with hunter22x and tok-98765 in C.UTF-8", env=env) == "sent with *** and *** in C.UTF-8"


def test_command_lines_hide_flag_values_and_embedded_credentials():
    args = ["--password", "pw1", "--report", "Critical", "--mongo.uri", "mongodb://u:p4ss@h/db", "--token=abc"]
    assert mask_args(args, env={}) == ["--password", "***", "--report", "Critical", "--mongo.uri",
                                       "mongodb://u:***@h/db", "--token=***"]
    assert masked(args)[1] == "***"


def test_what_counts_as_a_secret_entry():
    assert looks_secret("PGPASSWORD", "x") and looks_secret("uri", "mongodb://u:p@h")
    assert not looks_secret("PGPASSWORD", "") and not looks_secret("path", "/tmp/x")


def test_an_unreachable_slack_webhook_is_reported_without_its_path(monkeypatch):
    def refuse(url, **_):
        raise requests.ConnectionError(f"HTTPSConnectionPool: Max retries exceeded with url: {url}")

    monkeypatch.setattr(requests, "post", refuse)
    hook = "https://hooks.slack.com/services/T1/B2/sEcReTpAtH"
    outcome = AlertsResource(slack_webhook_url=hook).send("subject", "text")
    assert outcome["slack"].startswith("failed:") and "sEcReTpAtH" not in outcome["slack"]
