"""Connector snapshots from the files ARGO's sync ingestion job leaves on the lake, so a deployment
keeps its existing sync jobs: each file is read (local, ``file://``, ``s3://`` or ``hdfs://``) and
turned into the ARGO web API's JSON shape, which the A/R kernel's parsers already read.

The layout is the one the README era's ``ar_job_submit`` read, under the tenant's sync folder
(``[HDFS] path_sync``; argo-streaming up to v1.2):

- per report, written by the sync job (Avro, schemas ``argo.avro.*``; all fields strings, ``tags``
  a nullable map): ``<report>/metric_profile_<day>.avro`` (profile, service, metric),
  ``group_endpoints_<day>.avro`` (type, group, service, hostname), ``group_groups_<day>.avro``
  (type, group, subgroup), ``weights_<day>.avro`` (type, site, weight), ``downtimes_<day>.avro``
  (hostname, service, start_time, end_time);
- written by the profile and recomputation scripts (one JSON document, on one line):
  ``<tenant>_ops.json`` (the later writer's ``<tenant>_<report>_ops.json`` too),
  ``<tenant>_<report>_ap.json``, ``<tenant>_<report>_thresholds.json``, and recomputations
  ``recomp_<tenant>_<report>_<day>.json`` (``recomp_<day>.json`` in v1.0), else ``recomp.json``.

A profile written for one day (the historic mode's ``..._<day>.json``) is preferred to the undated
one; a day without any recomputation file has none (a dated one is never taken from the day
before). The Avro files carry the day in their name: a day without one is "none for the day", and
the usual rollback to earlier days applies (never for downtimes). The report's ``_cfg.json`` (the
web API's report document, as ``update_profiles`` saves it) is the report-config snapshot.
"""

import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import fastavro

from resources.storage import s3_read
from resources.webhdfs import WebHdfs

Reader = Callable[[str], bytes | None]


class SyncFileError(RuntimeError):
    """A sync file is there but unreadable (not Avro, not JSON, fields missing)."""


def lake_reader(
    webhdfs_url: str | None = None,
    webhdfs_user: str | None = None,
    s3_endpoint_url: str | None = None,
) -> Reader:
    """The bytes of a file on the lake, or None when it is not there."""
    hdfs = WebHdfs(webhdfs_url, webhdfs_user)

    def read(uri: str) -> bytes | None:
        if uri.startswith("hdfs://"):
            return hdfs.read(uri)
        if uri.startswith("s3://"):
            return s3_read(uri, s3_endpoint_url)
        if "://" in uri and not uri.startswith("file://"):
            raise SyncFileError(
                f"{uri}: a sync folder is local, file://, s3:// or hdfs://, not "
                f"{uri.split('://', 1)[0]}://"
            )
        path = Path(urlsplit(uri).path if uri.startswith("file:") else uri)
        return path.read_bytes() if path.is_file() else None

    return read


def _avro_records(uri: str, data: bytes) -> list[dict[str, Any]]:
    try:
        return [cast(dict[str, Any], record) for record in fastavro.reader(io.BytesIO(data))]
    except Exception as exc:  # fastavro raises many kinds for a damaged file
        raise SyncFileError(f"{uri}: not a readable Avro file ({exc})") from None


def _json_document(uri: str, data: bytes) -> Any:
    """The file's JSON; ARGO's job parsed only the first line, so a file with more after a
    one-line document reads as that document."""
    text = data.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        first = text.split("\n", 1)[0]
        try:
            return json.loads(first)
        except json.JSONDecodeError as exc:
            raise SyncFileError(f"{uri}: not JSON ({exc})") from None


def _tags(record: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (record.get("tags") or {}).items()}


def _fields(uri: str, record: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    missing = [n for n in names if record.get(n) is None]
    if missing:
        raise SyncFileError(f"{uri}: a record has no {', '.join(missing)}")
    return [str(record[n]) for n in names]


def _metric_profile(uri: str, records: list[dict[str, Any]], day: date) -> Any:
    profiles: dict[str, dict[str, list[str]]] = {}
    for record in records:
        profile, service, metric = _fields(uri, record, ("profile", "service", "metric"))
        profiles.setdefault(profile, {}).setdefault(service, []).append(metric)
    return [
        {
            "name": name,
            "date": day.isoformat(),
            "services": [{"service": s, "metrics": m} for s, m in services.items()],
        }
        for name, services in profiles.items()
    ]


def _topology(names: tuple[str, ...]) -> Callable[[str, list[dict[str, Any]], date], Any]:
    """Topology records (``names`` and ``tags``) as the API's list, each dated for the day."""

    def convert(uri: str, records: list[dict[str, Any]], day: date) -> Any:
        return [
            {
                "date": day.isoformat(),
                **dict(zip(names, _fields(uri, r, names), strict=True)),
                "tags": _tags(r),
            }
            for r in records
        ]

    return convert


_group_endpoints = _topology(("type", "group", "service", "hostname"))
_group_groups = _topology(("type", "group", "subgroup"))


def _weights(uri: str, records: list[dict[str, Any]], day: date) -> Any:
    if not records:
        return []
    groups = []
    for record in records:
        _, site, weight = _fields(uri, record, ("type", "site", "weight"))
        try:
            groups.append({"name": site, "value": float(weight)})
        except ValueError:
            raise SyncFileError(f"{uri}: weight {weight!r} of {site!r} is not a number") from None
    return [{"date": day.isoformat(), "weight_type": str(records[0]["type"]), "groups": groups}]


def _downtimes(uri: str, records: list[dict[str, Any]], day: date) -> Any:
    endpoints = []
    for record in records:
        host, service, start, end = _fields(
            uri, record, ("hostname", "service", "start_time", "end_time")
        )
        endpoints.append(
            {"hostname": host, "service": service, "start_time": start, "end_time": end}
        )
    return [{"date": day.isoformat(), "endpoints": endpoints}]


AVRO_KINDS: dict[str, tuple[str, Callable[[str, list[dict[str, Any]], date], Any]]] = {
    "metric_profile": ("metric_profile", _metric_profile),
    "topology_endpoints": ("group_endpoints", _group_endpoints),
    "topology_groups": ("group_groups", _group_groups),
    "weights": ("weights", _weights),
    "downtimes": ("downtimes", _downtimes),
}


def json_candidates(kind: str, tenant: str, report: str, day: date) -> list[str]:
    """The JSON file names a kind may have, the first present wins."""
    d = day.isoformat()
    return {
        # the later writer's per-report names first: where both exist they are the newer
        "operations_profile": [
            f"{tenant}_{report}_ops_{d}.json",
            f"{tenant}_ops_{d}.json",
            f"{tenant}_{report}_ops.json",
            f"{tenant}_ops.json",
        ],
        "aggregation_profile": [f"{tenant}_{report}_ap_{d}.json", f"{tenant}_{report}_ap.json"],
        # the report's config, as the profile scripts save the web API's /reports/<id> answer
        "report_config": [f"{tenant}_{report}_cfg_{d}.json", f"{tenant}_{report}_cfg.json"],
        "thresholds_profile": [
            f"{tenant}_{report}_thresholds_{d}.json",
            f"{tenant}_{report}_thresholds.json",
        ],
        "recomputations": [f"recomp_{tenant}_{report}_{d}.json", f"recomp_{d}.json", "recomp.json"],
    }.get(kind, [])


def read_sync_snapshot(
    read: Reader, root: str, tenant: str, report: str, kind: str, day: date
) -> Any | None:
    """The snapshot of ``kind`` for the day in the web API's JSON shape, or None when the sync
    folder holds none for it."""
    root = root.rstrip("/")
    if kind in AVRO_KINDS:
        prefix, convert = AVRO_KINDS[kind]
        uri = f"{root}/{report}/{prefix}_{day.isoformat()}.avro"
        data = read(uri)
        return None if data is None else convert(uri, _avro_records(uri, data), day)
    names = json_candidates(kind, tenant, report, day)
    if not names:
        raise SyncFileError(f"the sync ingestion job writes no {kind} file")
    for name in names:
        uri = f"{root}/{name}"
        data = read(uri)
        if data is not None:
            document = _json_document(uri, data)
            if kind == "recomputations" and document == {}:
                return []  # ARGO's job reads "{}" as no recomputations
            return document
    # no recomputation file for the day and no recomp.json: none (never the day before's file)
    return [] if kind == "recomputations" else None
