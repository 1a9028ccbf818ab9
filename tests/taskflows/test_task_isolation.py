"""A task sees only what it declares, never the platform's secrets; its log hides credentials;
its timeout cannot be escaped by a detached child; the tasks file is checked for credentials at
any depth (env, Spark confs, args); ids are matched whole."""

import json
import subprocess
import time

import pytest

from platform_assets.taskflows.loading import load_graph
from platform_assets.taskflows.process import MARK, run_process, task_environment
from platform_assets.taskflows.scheduler import TaskFailed
from platform_assets.taskflows.spec import GraphSpecError
from tests.taskflows.graphs import write_graph

pytestmark = pytest.mark.fast  # no external service: make test-fast


def run(command: str, **kwargs) -> list[str]:
    lines: list[str] = []
    run_process(["bash", "-c", command], lines.append, **kwargs)
    return lines


def test_a_task_gets_its_env_the_allowlist_and_the_passthrough_only(monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/canary")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "canary-aws-secret")
    monkeypatch.setenv("SHARED_BUCKET", "s3://bucket")
    lines = run("env", env={"GREETING": "hi"}, passthrough=["SHARED_BUCKET"])
    names = {line.split("=", 1)[0] for line in lines}
    assert {"PATH", "GREETING", "SHARED_BUCKET", MARK} <= names
    assert not names & {"SLACK_WEBHOOK_URL", "AWS_SECRET_ACCESS_KEY"}
    assert task_environment({}, parent={"PGPASSWORD": "x", "PATH": "/bin"}) == {"PATH": "/bin"}


def test_the_log_hides_credentials_the_task_prints(monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "canary-smtp-pw")
    lines = run("echo $DB; echo canary-smtp-pw; echo postgresql://u:pw99@db/x",
                env={"DB": "host=db password=hunter2"})
    assert "canary-smtp-pw" not in "\n".join(lines) and "hunter2" not in "\n".join(lines)
    assert "pw99" not in "\n".join(lines) and lines[-1] == "postgresql://u:***@db/x"


def test_a_timeout_kills_detached_children_and_never_waits_on_their_pipe():
    started = time.monotonic()
    with pytest.raises(TaskFailed, match="timed out after 2s"):
        run("setsid sleep 40 & (setsid bash -c 'sleep 41' &) ; sleep 30", timeout_s=2)
    assert time.monotonic() - started < 10
    time.sleep(0.2)
    # whole command lines only: an unrelated "sleep 400" elsewhere on the machine must not count
    left = subprocess.run(["pgrep", "-f", "^(bash -c )?'?sleep 4[01]'?$"], capture_output=True,
                          text=True).stdout.split()
    assert left == []


def test_what_a_task_leaves_running_ends_with_it():
    started = time.monotonic()
    assert run("setsid sleep 42 & echo done") == ["done"]
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert subprocess.run(["pgrep", "-f", "^sleep 42$"], capture_output=True).returncode == 1


@pytest.mark.parametrize("task, where", [
    ({"env": {"PGPASSWORD": "hunter2"}}, "env.PGPASSWORD"),
    ({"env": [{"key": "API_TOKEN", "value": "abc"}]}, "API_TOKEN"),
    ({"env": {"TARGET": "postgresql://u:pw@db/x"}}, "env.TARGET"),
    ({"type": "spark", "master": "local[1]", "ingestor-file": "j.py",
      "confs": [{"key": "spark.hadoop.fs.s3a.secret.key", "value": "AKIA"}]}, "spark.hadoop.fs.s3a.secret.key"),
    ({"type": "spark", "master": "local[1]", "ingestor-file": "j.py", "args": ["--password", "pw"]}, "args"),
    ({"type": "spark", "master": "local[1]", "ingestor-file": "j.py",
      "args": ["--target", "mongodb://u:pw@h/db"]}, "args[1]"),
])
def test_credentials_at_any_depth_of_a_task_are_refused(tmp_path, task, where):
    raw = {"id": "a", "type": "bash", "command": "true", "depends": [], **task}
    path = write_graph(tmp_path, [raw])
    with pytest.raises(GraphSpecError, match="holds a secret") as refused:
        load_graph(path, tmp_path)
    assert where in str(refused.value)


def test_ids_and_passthrough_names_are_matched_whole(tmp_path):
    with pytest.raises(GraphSpecError, match="task id"):
        load_graph(write_graph(tmp_path, [{"id": "a\n", "type": "bash", "command": "true"}]), tmp_path)
    path = write_graph(tmp_path, [{"id": "a", "type": "bash", "command": "true"}])
    (tmp_path / "config.json").write_text(json.dumps({"env_passthrough": ["OK_NAME", "BAD NAME"]}))
    with pytest.raises(GraphSpecError, match="env_passthrough"):
        load_graph(path, tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"env_passthrough": ["SHARED_BUCKET"]}))
    assert load_graph(path, tmp_path).env_passthrough == ("SHARED_BUCKET",)
