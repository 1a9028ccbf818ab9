"""The wrappers' ``[LOGS]`` section honoured: a streaming run's log also goes to the config's log file
and syslog socket (a real Unix datagram socket here), each at its own level; a bad section names file,
section and key; a syslog socket that cannot be opened is a warning, not a failed run."""

import socket
from datetime import date

import dagster as dg
import pytest

from platform_assets.streaming.jobs import ar_batch_flink
from resources.model.ini import ConfError
from resources.model.monitoring_conf import load_monitoring_conf
from resources.monitoring_conf import MonitoringConfResource
from resources.results_store import LocalResultsResource
from tests.streaming.conf_files import write_conf

pytestmark = pytest.mark.fast


def _conf(tmp_path, logs: str):
    path = write_conf(tmp_path, "http://127.0.0.1:9", tmp_path / "argo.jar")
    path.write_text(path.read_text().replace("[LOGS]\nlog_level: info\n", f"[LOGS]\n{logs}\n"))
    return path


def _dry_run(conf, tmp_path, **config):
    return ar_batch_flink.execute_in_process(
        run_config={"ops": {"submit_ar_batch": {"config": {
            "tenant": "acme", "report": "Critical", "date": date(2026, 3, 2).isoformat(), "dry_run": True, **config}}}},
        resources={"monitoring": MonitoringConfResource(path=str(conf)),
                   "results": LocalResultsResource(root=str(tmp_path / "results"))}, raise_on_error=False)


def _received(receiver: socket.socket) -> list[str]:
    receiver.setblocking(False)
    datagrams = []
    while True:
        try:
            datagrams.append(receiver.recv(65536).decode())
        except BlockingIOError:
            return datagrams


@pytest.mark.parametrize("syslog_level, file_level", [("info", "error"), ("error", "debug")])
def test_the_run_log_goes_to_the_file_and_syslog_at_their_levels(tmp_path, syslog_level, file_level):
    log_file, syslog_path = tmp_path / "argo-streaming.log", str(tmp_path / "syslog.sock")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(syslog_path)
    conf = _conf(tmp_path, f"log_modes: console,syslog,file\nlog_level: info\nsyslog_level: {syslog_level}\n"
                           f"file_level: {file_level}\nsyslog_socket: {syslog_path}\nfile_path: {log_file}")
    result = _dry_run(conf, tmp_path)
    assert result.success
    in_file = [line for line in log_file.read_text().splitlines() if "dry run, nothing submitted" in line]
    in_syslog = [d for d in _received(receiver) if "dry run, nothing submitted" in d]
    receiver.close()
    assert (len(in_syslog), len(in_file)) == ((1, 0) if syslog_level == "info" else (0, 1))
    assert all("s3cr3t" not in line and "--api.token ***" in line for line in in_file + in_syslog)


def test_a_failure_reaches_the_file_too(tmp_path):
    log_file = tmp_path / "argo.log"
    conf = _conf(tmp_path, f"log_modes: file\nfile_path: {log_file}")
    result = _dry_run(conf, tmp_path, report="NoSuchReport")
    assert not result.success
    [line] = log_file.read_text().splitlines()
    assert " ERROR " in line and "no report 'NoSuchReport'" in line


def test_an_unreachable_syslog_is_a_warning_not_a_failure(tmp_path):
    conf = _conf(tmp_path, f"log_modes: syslog\nsyslog_socket: {tmp_path / 'absent.sock'}")
    with dg.instance_for_test() as instance:
        result = ar_batch_flink.execute_in_process(
            instance=instance,
            run_config={"ops": {"submit_ar_batch": {"config": {
                "tenant": "acme", "report": "Critical", "date": "2026-03-02", "dry_run": True}}}},
            resources={"monitoring": MonitoringConfResource(path=str(conf)),
                       "results": LocalResultsResource(root=str(tmp_path / "results"))})
        messages = [r.user_message for r in instance.all_logs(result.run_id)]
    assert result.success
    assert any("[LOGS] syslog_socket" in m and "not logging there" in m for m in messages)


@pytest.mark.parametrize("logs, where", [
    ("log_modes: console,syslog", "[LOGS] syslog_socket: missing (log_modes has syslog)"),
    ("log_modes: file", "[LOGS] file_path: missing (log_modes has file)"),
    ("log_modes: console,email", "[LOGS] log_modes: unknown mode(s) email"),
    ("log_level: loud", "[LOGS] log_level: 'loud' is not one of"),
])
def test_a_bad_logs_section_names_file_section_and_key(tmp_path, logs, where):
    with pytest.raises(ConfError) as error:
        load_monitoring_conf(_conf(tmp_path, logs))
    assert where in str(error.value) and str(tmp_path) in str(error.value)
