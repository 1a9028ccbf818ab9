"""The original README's curl, verbatim, against the service started as the original ran: port
8888, no token (which Weir allows on a loopback address only)."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from resources.job_template_store import JobTemplateStore
from tests.job_templates.fixtures import readme_sql
from tests.job_templates.test_original_schema import _readme_steps

ROOT = Path(__file__).resolve().parents[2]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_readme_curl_works_verbatim_without_a_token_on_port_8888(pg_dsn, tmp_path):
    JobTemplateStore(dsn=pg_dsn).migrate()
    _readme_steps(pg_dsn)
    assert not _listening(8888), "port 8888 is taken on this machine: the README's curl needs it"
    env = {**os.environ, "JOB_TEMPLATE_PG_DSN": pg_dsn, "DAGSTER_GRAPHQL_URL": "http://127.0.0.1:9/graphql"}
    env.pop("JOB_TEMPLATE_API_TOKEN", None)
    service = subprocess.Popen([sys.executable, "-m", "platform_assets.job_templates.service", "--auth", "none"],
                               cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _listening(8888):
            assert service.poll() is None and time.monotonic() < deadline, service.stderr.read()
            time.sleep(0.1)
        # the README's host name, sent to this machine through curl's own config file: the
        # command itself is the README's, character for character
        (tmp_path / ".curlrc").write_text("resolve = sequoia.onefoursix.com:8888:127.0.0.1\nsilent\n")
        done = subprocess.run(["bash", "-c", readme_sql.README_CURL], capture_output=True, text=True, timeout=30,
                              env={**os.environ, "CURL_HOME": str(tmp_path)})
        answer = json.loads(done.stdout)
        assert answer["status"] == "OK" and answer["run_id"], done.stdout + done.stderr
    finally:
        service.terminate()
        service.wait(30)
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute("SELECT user_id, user_run_id, config->'runtime-parameters' FROM streamsets.run_request"
                            ).fetchall()
    assert rows == [("mark@onefoursix.com", "run-123", [{"HTTP_URL": "http://api.openweathermap.org/data/2.5/weather",
                                                          "CITY": "London", "GCS_BUCKET": "146_gcs_bucket",
                                                          "GCS_FOLDER": "UK"}])]


def test_no_token_is_refused_off_loopback_and_without_a_mode(pg_dsn):
    env = {**os.environ, "JOB_TEMPLATE_PG_DSN": pg_dsn}
    env.pop("JOB_TEMPLATE_API_TOKEN", None)
    exposed = subprocess.run([sys.executable, "-m", "platform_assets.job_templates.service", "--auth", "none",
                              "--host", "0.0.0.0", "--port", "0"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert exposed.returncode == 2 and "bind it to a loopback address" in exposed.stderr
    tokenless = subprocess.run([sys.executable, "-m", "platform_assets.job_templates.service", "--port", "0"],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert tokenless.returncode != 0 and "JOB_TEMPLATE_API_TOKEN must be set" in tokenless.stderr
