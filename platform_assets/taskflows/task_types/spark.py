"""``spark``: a spark-submit command built from the task's fields as the original runner builds it
(master, deploy-mode, name, verbose/supervise, class, memory and cores, confs, the ingestor file
(.py or .jar) and its parameters); Weir adds ``args``."""

from collections.abc import Mapping
from typing import Any

from platform_assets.taskflows.process import run_process
from platform_assets.taskflows.spec import Connection, TaskSpec
from platform_assets.taskflows.task_types.base import FieldRule, TaskEnv
from resources.model.secrets import mask_args

# In the order the original runner writes them; a flag is left out when its field is empty.
LEADING = ("master", "deploy-mode", "name")
SWITCHES = ("verbose", "supervise")  # set with "yes"
SIZING = (
    "class",
    "driver-memory",
    "driver-cores",
    "num-executors",
    "executor-memory",
    "executor-cores",
    "total-executor-cores",
)


def spark_submit_command(task: TaskSpec, spark_submit: str) -> list[str]:
    """The spark-submit argument list (no shell: values with spaces stay one argument)."""
    fields = task.fields
    command = [spark_submit]
    for flag in LEADING:
        if fields.get(flag) not in (None, ""):
            command += [f"--{flag}", str(fields[flag])]
    command += [f"--{flag}" for flag in SWITCHES if str(fields.get(flag, "")).lower() == "yes"]
    for flag in SIZING:
        if fields.get(flag) not in (None, ""):
            command += [f"--{flag}", str(fields[flag])]
    for conf in fields.get("confs") or []:
        command += ["--conf", f"{conf['key']}={conf['value']}"]
    parameters = [str(p["parameter"]) for p in fields.get("parameters") or []]
    return command + [
        fields["ingestor-file"],
        *parameters,
        *[str(a) for a in fields.get("args") or []],
    ]


class SparkTask:
    name = "spark"
    fields: Mapping[str, FieldRule] = {
        "master": FieldRule((str,), required=True),
        "ingestor-file": FieldRule((str,), required=True),
        "deploy-mode": FieldRule((str,)),
        "name": FieldRule((str,)),
        "verbose": FieldRule((str,)),
        "supervise": FieldRule((str,)),
        "class": FieldRule((str,)),
        "driver-memory": FieldRule((str,)),
        "driver-cores": FieldRule((int, str)),
        "num-executors": FieldRule((int, str)),
        "executor-memory": FieldRule((str,)),
        "executor-cores": FieldRule((int, str)),
        "total-executor-cores": FieldRule((int, str)),
        "confs": FieldRule((list,)),
        "parameters": FieldRule((list,)),
        "args": FieldRule((list,)),
    }

    def problems(self, task: TaskSpec, connections: Mapping[str, Connection]) -> list[str]:
        found = []
        ingestor = task.fields["ingestor-file"]
        if not ingestor.endswith((".py", ".jar")):
            found.append(f"ingestor-file must be a .py or .jar, got {ingestor!r}")
        for conf in task.fields.get("confs") or []:
            if not (
                isinstance(conf, dict) and isinstance(conf.get("key"), str) and "value" in conf
            ):
                found.append(f"confs entries must be {{key, value}}, got {conf!r}")
        for parameter in task.fields.get("parameters") or []:
            if not (isinstance(parameter, dict) and "parameter" in parameter):
                found.append(f"parameters entries must be {{parameter}}, got {parameter!r}")
        return found

    def run(self, task: TaskSpec, env: TaskEnv) -> Mapping[str, Any]:
        command = spark_submit_command(task, env.spark_submit)
        env.log("$ " + " ".join(mask_args(command)))
        run_process(command, env.log, env.timeout_s, env.env, env.workdir, env.passthrough)
        return {"exit_code": 0, "master": task.fields["master"]}
