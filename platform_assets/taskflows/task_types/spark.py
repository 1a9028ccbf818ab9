"""``spark``: a spark-submit command built from the task's fields (master, deploy-mode, memory and
cores, class, confs, the ingestor file: a .py or a .jar)."""

from typing import Any, Mapping

from platform_assets.taskflows.process import run_process
from platform_assets.taskflows.spec import Connection, TaskSpec
from platform_assets.taskflows.task_types.base import FieldRule, TaskEnv

FLAGS = ("master", "deploy-mode", "driver-memory", "executor-memory", "executor-cores", "total-executor-cores")


def spark_submit_command(task: TaskSpec, spark_submit: str) -> list[str]:
    """The command line, flags in the order of the file's fields; ``class`` only for a jar."""
    fields = task.fields
    command = [spark_submit]
    for flag in FLAGS:
        if fields.get(flag) not in (None, ""):
            command += [f"--{flag}", str(fields[flag])]
    if fields.get("class") and str(fields["ingestor-file"]).endswith(".jar"):
        command += ["--class", fields["class"]]
    for conf in fields.get("confs") or []:
        command += ["--conf", f"{conf['key']}={conf['value']}"]
    return command + [fields["ingestor-file"], *[str(a) for a in fields.get("args") or []]]


class SparkTask:
    name = "spark"
    fields = {
        "master": FieldRule((str,), required=True), "ingestor-file": FieldRule((str,), required=True),
        "deploy-mode": FieldRule((str,)), "driver-memory": FieldRule((str,)), "executor-memory": FieldRule((str,)),
        "executor-cores": FieldRule((int, str)), "total-executor-cores": FieldRule((int, str)),
        "class": FieldRule((str,)), "confs": FieldRule((list,)), "args": FieldRule((list,)),
    }

    def problems(self, task: TaskSpec, connections: Mapping[str, Connection]) -> list[str]:
        found = []
        ingestor = task.fields["ingestor-file"]
        if not ingestor.endswith((".py", ".jar")):
            found.append(f"ingestor-file must be a .py or .jar, got {ingestor!r}")
        if ingestor.endswith(".jar") and not task.fields.get("class"):
            found.append("a .jar ingestor-file needs a class")
        for conf in task.fields.get("confs") or []:
            if not (isinstance(conf, dict) and isinstance(conf.get("key"), str) and "value" in conf):
                found.append(f"confs entries must be {{key, value}}, got {conf!r}")
        return found

    def run(self, task: TaskSpec, env: TaskEnv) -> Mapping[str, Any]:
        command = spark_submit_command(task, env.spark_submit)
        env.log("$ " + " ".join(command))
        run_process(command, env.log, env.timeout_s, env.env, env.workdir)
        return {"exit_code": 0, "master": task.fields["master"]}
