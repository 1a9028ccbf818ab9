"""A real Flink 2.3 session cluster for tests, from the `apache-flink-libraries` wheel.

The wheel carries Flink's jars but not its shell scripts, so the JobManager and TaskManager are
started with plain `java` the way Flink's scripts would: module flags from Flink's default config,
memory settings derived (by Flink's BashJavaUtils) from the process sizes below, all on 127.0.0.1
with free ports. `make test` installs the wheel into `.flink/` (never into the platform's venv:
its PyFlink sibling pins conflict with pyspark and pandas).
"""

import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests

from tests.services import free_port, stop_process_groups

FLINK_VERSION = "2.3.0"
MODULE_FLAGS = (
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED "
    "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED "
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED "
    "--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED "
    "--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED "
    "--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED "
    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED "
    + " ".join(f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
        "java.lang", "java.net", "java.io", "java.nio", "sun.nio.ch", "java.lang.reflect", "java.text",
        "java.time", "java.util", "java.util.concurrent", "java.util.concurrent.atomic",
        "java.util.concurrent.locks"))
).split()
# What BashJavaUtils GET_JM/TM_RESOURCE_PARAMS yields for 1024m / 1280m and 2 slots.
JM_MEMORY = (["-Xmx469762048", "-Xms469762048", "-XX:MaxMetaspaceSize=268435456"],
             {"jobmanager.memory.off-heap.size": "134217728b", "jobmanager.memory.jvm-overhead.min": "201326592b",
              "jobmanager.memory.jvm-metaspace.size": "268435456b", "jobmanager.memory.heap.size": "469762048b",
              "jobmanager.memory.jvm-overhead.max": "201326592b"})
TM_MEMORY = (["-Xmx301989882", "-Xms301989882", "-XX:MaxDirectMemorySize=221459252", "-XX:MaxMetaspaceSize=268435456"],
             {"taskmanager.memory.network.min": "87241524b", "taskmanager.cpu.cores": "2.0",
              "taskmanager.memory.task.off-heap.size": "0b", "taskmanager.memory.jvm-metaspace.size": "268435456b",
              "external-resources": "none", "taskmanager.memory.jvm-overhead.min": "201326592b",
              "taskmanager.memory.framework.off-heap.size": "134217728b",
              "taskmanager.memory.network.max": "87241524b", "taskmanager.memory.framework.heap.size": "134217728b",
              "taskmanager.memory.managed.size": "348966098b", "taskmanager.memory.task.heap.size": "167772154b",
              "taskmanager.numberOfTaskSlots": "2", "taskmanager.memory.jvm-overhead.max": "201326592b"})
LOG4J = """monitorInterval = 0
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
appender.main.name = MainAppender
appender.main.type = File
appender.main.append = true
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-60c %x - %m%n
"""


def flink_home() -> Path:
    home = Path(os.environ.get("WEIR_FLINK_HOME", Path(__file__).resolve().parents[1] / ".flink" / "pyflink"))
    if not (home / "lib" / f"flink-dist-{FLINK_VERSION}.jar").exists():
        raise RuntimeError(f"no Flink {FLINK_VERSION} at {home}: `make test` installs apache-flink-libraries there")
    return home


def _write_conf(folder: Path, rest: int, rpc: int) -> Path:
    conf = folder / "conf"
    conf.mkdir(parents=True)
    (conf / "config.yaml").write_text("\n".join([
        "jobmanager.rpc.address: 127.0.0.1", "jobmanager.bind-host: 127.0.0.1", f"jobmanager.rpc.port: {rpc}",
        "jobmanager.memory.process.size: 1024m", "taskmanager.bind-host: 127.0.0.1", "taskmanager.host: 127.0.0.1",
        "taskmanager.memory.process.size: 1280m", "taskmanager.numberOfTaskSlots: 2", "parallelism.default: 1",
        'blob.server.port: "0"', "rest.address: 127.0.0.1", "rest.bind-address: 127.0.0.1", f"rest.port: {rest}",
        "web.submit.enable: true", f"web.upload.dir: {folder / 'upload'}", "web.refresh-interval: 500",
        f"io.tmp.dirs: {folder / 'tmp'}", "cluster.registration.error-delay: 500",
        "cluster.registration.initial-timeout: 500", f"execution.checkpointing.dir: file://{folder / 'checkpoints'}",
        f"execution.checkpointing.savepoint-dir: file://{folder / 'savepoints'}", ""]))
    (conf / "log4j.properties").write_text(LOG4J)
    for sub in ("upload", "tmp", "log"):
        (folder / sub).mkdir()
    return conf


def _java(home: Path, conf: Path, log: Path, memory: tuple[list[str], dict[str, str]], main: list[str]) -> list[str]:
    jars = sorted(p for p in (home / "lib").glob("*.jar") if not p.name.startswith("flink-dist"))
    classpath = ":".join(str(p) for p in [*jars, home / "lib" / f"flink-dist-{FLINK_VERSION}.jar"])
    dynamic = [arg for key, value in memory[1].items() for arg in ("-D", f"{key}={value}")]
    return ["java", *memory[0], *MODULE_FLAGS, f"-Dlog.file={log}",
            f"-Dlog4j.configurationFile=file:{conf / 'log4j.properties'}", "-classpath", classpath,
            *main, "--configDir", str(conf), *dynamic]


@contextmanager
def flink_cluster(workdir: Path, timeout_s: float = 90) -> Iterator[str]:
    """Start a JobManager and a TaskManager; yield the REST URL once 2 slots are registered."""
    home = flink_home()
    rest, rpc = free_port(), free_port()
    conf = _write_conf(workdir, rest, rpc)
    log = workdir / "log"
    commands = [
        _java(home, conf, log / "jobmanager.log", JM_MEMORY,
              ["org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"]) + ["--executionMode", "cluster"],
        _java(home, conf, log / "taskmanager.log", TM_MEMORY, ["org.apache.flink.runtime.taskexecutor.TaskManagerRunner"]),
    ]
    procs = [subprocess.Popen(cmd, stdout=open(log / f"out-{i}.txt", "w"), stderr=subprocess.STDOUT,
                              start_new_session=True) for i, cmd in enumerate(commands)]
    url = f"http://127.0.0.1:{rest}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                tail = (log / "jobmanager.log").read_text()[-2000:] if (log / "jobmanager.log").exists() else ""
                raise RuntimeError(f"Flink cluster did not become ready at {url}: {tail}")
            try:
                if requests.get(f"{url}/overview", timeout=1).json().get("slots-total", 0) >= 2:
                    break
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.3)
        yield url
    finally:
        stop_process_groups(procs)


def build_test_jar(workdir: Path) -> Path:
    """Compile tests/flink_jobs with javac against flink-dist and package one jar (no Main-Class)."""
    home = flink_home()
    sources = sorted(str(p) for p in (Path(__file__).parent / "flink_jobs").rglob("*.java"))
    classes = workdir / "classes"
    classpath = f"{home / 'lib' / f'flink-dist-{FLINK_VERSION}.jar'}:{home / 'lib' / f'flink-connector-files-{FLINK_VERSION}.jar'}"
    subprocess.run(["javac", "--release", "11", "-d", str(classes), "-cp", classpath, *sources], check=True)
    jar = workdir / "weir-test-jobs.jar"
    subprocess.run(["jar", "--create", "--file", str(jar), "-C", str(classes), "."], check=True)
    return jar
