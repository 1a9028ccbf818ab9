"""Monitoring INI configs for tests, written in the deployment's own (ARGO) format."""

from pathlib import Path


def write_conf(folder: Path, flink_url: str, jar: Path, tenants: tuple[str, ...] = ("acme",),
               extra: str = "") -> Path:
    """A config with the test jobs' jar for every job and a local lake under ``folder``."""
    sections = [f"""
[LAKE]
path: {folder / 'lake'}

[API]
endpoint: http://127.0.0.1:9/argo
access_token: admin-token
tenants: {','.join(tenants)}
{chr(10).join(f'{t}_key: s3cr3t-{t}-API-KEY' for t in tenants)}

[MONGO]
endpoint: mongodb://127.0.0.1:27017

[KAFKA]
endpoint: bus.test:9092
verify: false

[FLINK]
job_manager: {flink_url}

[CLASSES]
ams-ingest-metric: weir.testjobs.EndlessJob
ams-ingest-sync: weir.testjobs.EndlessJob
batch-ar: weir.testjobs.FakeArJob

[JARS]
ams-ingest-metric: {jar}
ams-ingest-sync: {jar}
batch-ar: {jar}

[LOGS]
log_level: info
"""]
    for tenant in tenants:
        sections.append(f"""
[TENANTS:{tenant}]
ams_project: {tenant.upper()}
ams_token: s3cr3t-{tenant}-T0KEN
reports: Critical
report_Critical: {tenant}-critical-id
mongo_uri: {{{{mongo_endpoint}}}}/argo_{{{{tenant}}}}
mongo_method: insert

[TENANTS:{tenant}:ingest-metric]
ams_sub: metrics
ams_batch: 50
ams_interval: 200
checkpoint_path: file://{folder / 'checkpoints' / tenant / 'ingest-metric'}
checkpoint_interval: 5000

[TENANTS:{tenant}:ingest-sync]
ams_sub: sync
ams_batch: 10
""")
    path = folder / "conf.cfg"
    path.write_text("".join(sections) + extra)
    return path
