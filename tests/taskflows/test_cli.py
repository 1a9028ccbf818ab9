"""The runner's command line: the original README's graph and datasources, run through Dagster."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
README_SCRIPTS = "/home/mestevez/tmp/"


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "platform_assets.taskflows", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


def _readme_graph(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """The README's dag, its scripts (each appends its name to ran.log) and a spark-submit stand-in
    that records its arguments (the README's master, spark://hdp:7077, is not reachable here)."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for n in range(1, 8):
        script = scripts / f"tarea{n}.sh"
        script.write_text(f"#!/bin/sh\necho tarea{n} >> {tmp_path}/ran.log\n")
        script.chmod(0o755)
    spark_home = tmp_path / "spark"
    (spark_home / "bin").mkdir(parents=True)
    submit = spark_home / "bin" / "spark-submit"
    submit.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/spark.log\n')
    submit.chmod(0o755)
    dag = tmp_path / "dag1.json"
    dag.write_text((FIXTURES / "mflow_readme_tasks.json").read_text().replace(README_SCRIPTS, f"{scripts}/"))
    desa = tmp_path / "desa.json"
    desa.write_text((FIXTURES / "mflow_readme_oracle.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(
        {"max_process_concurrency": 3, "check_new_config_interval": 1, "log_directory": "./logs/"}))
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "SPARK_HOME": str(spark_home)}
    return dag, desa, env


def test_the_readme_graph_runs_everything_but_the_task_with_an_undefined_dependency(tmp_path):
    dag, desa, env = _readme_graph(tmp_path)
    done = _cli("run", "--taskfile", str(dag), "--datasources", str(desa), env=env)
    statuses = dict(line.split("\t")[:2] for line in done.stdout.splitlines() if "\t" in line)
    assert statuses == {"tarea1": "succeeded", "tarea2": "succeeded", "tarea3": "succeeded",
                        "tarea4": "succeeded", "sp1_tickets": "succeeded", "tarea6": "not_runnable",
                        "tarea7": "succeeded", "sp1": "succeeded", "siper_desvio141": "failed"}, done.stdout
    assert sorted((tmp_path / "ran.log").read_text().split()) == ["tarea1", "tarea2", "tarea3", "tarea4", "tarea7"]
    spark = (tmp_path / "spark.log").read_text()
    assert "--master spark://hdp:7077 --deploy-mode client" in spark
    assert "--class ar.gob.afip.fiscalizacion.ingestion.batch.raw.ftContribuyentes" in spark
    assert "install the 'oracledb' package" in done.stdout  # Oracle is not installed here: said so
    assert "depends on undefined task 'tarea5'" in done.stdout
    assert "check_new_config_interval is ignored" in done.stderr
    assert done.returncode == 1  # not every task succeeded

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:  # visible in the UI
        [run] = instance.get_runs()
        assert run.job_name == "taskflow_dag1" and run.status == dg.DagsterRunStatus.FAILURE
        materialized = {r.event_log_entry.dagster_event.asset_key.path[-1] for r in instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records}
    assert materialized == {"tarea1", "tarea2", "tarea3", "tarea4", "tarea7", "sp1_tickets", "sp1"}


def test_a_graph_whose_every_task_succeeds_exits_0(tmp_path):
    dag = tmp_path / "nightly.json"
    dag.write_text(json.dumps({"tasks": [{"id": "a", "type": "bash", "command": "echo a"},
                                         {"id": "b", "type": "bash", "command": "echo b", "depends": ["a"]}]}))
    home = tmp_path / "home"
    home.mkdir()
    done = _cli("run", "--taskfile", str(dag), env={**os.environ, "DAGSTER_HOME": str(home)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "a\tsucceeded" in done.stdout and "b\tsucceeded" in done.stdout


def test_validate_reports_runnable_blocked_and_refused_files(tmp_path):
    dag, desa, env = _readme_graph(tmp_path)
    blocked = _cli("validate", "--taskfile", str(dag), "--datasources", str(desa), env=env)
    assert blocked.returncode == 1 and "1 cannot run: tarea6" in blocked.stdout
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"tasks": [{"id": "a", "type": "bash", "command": "true"}]}))
    assert _cli("validate", "--taskfile", str(good), env=env).returncode == 0
    cyclic = tmp_path / "cyclic.json"
    cyclic.write_text(json.dumps({"tasks": [{"id": "a", "type": "bash", "command": "true", "depends": ["b"]},
                                           {"id": "b", "type": "bash", "command": "true", "depends": ["a"]}]}))
    refused = _cli("validate", "--taskfile", str(cyclic), env=env)
    assert refused.returncode == 2 and "dependency cycle" in refused.stderr
    # without --datasources the oracle task's connection is unknown: named, file refused
    missing = _cli("validate", "--taskfile", str(dag), env=env)
    assert missing.returncode == 2 and "siper_fisco" in missing.stderr
