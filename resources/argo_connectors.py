"""Fetching ARGO connector snapshots from files, from the sync ingestion job's files, or from an
ARGO-web-API-shaped HTTP service.

Files: ``<root>/<tenant>/connectors/<report>/<kind>/YYYY-MM-DD.json``. Sync files: the tenant's sync
folder as ARGO's sync job and scripts write it (``argo_sync_files``; local, S3 or HDFS). API: ``GET
<url>/api/v2/<path>?date=YYYY-MM-DD`` with the tenant's token in ``x-api-key`` and the usual
``{"status": ..., "data": ...}`` envelope. ``fetch`` answers for one exact day (or None); the
rollback over earlier days lives in ``platform_assets.argo.connectors``.
"""

import json
import os
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
import requests

from resources.argo_sync_files import SyncFileError, lake_reader, read_sync_snapshot
from resources.model.tenancy import Source, validate_name
from resources.webhdfs import WebHdfsError


class ConnectorEndpoint(Protocol):
    """What this resource needs to know of a connector kind (the ARGO slice declares the kinds)."""

    @property
    def name(self) -> str: ...

    @property
    def api_path(self) -> str:
        """Under ``<url>/api/v2/``: ``{report}`` filled with the report's name, ``{report_id}``
        with its id."""
        ...

    @property
    def fetched_as(self) -> str:
        """The kind's name at the source (files folder, sync file)."""
        ...

    @property
    def empty_is_snapshot(self) -> bool:
        """An empty answer is a snapshot, not "none for the day"."""
        ...


class ConnectorFetchError(RuntimeError):
    """The connector source answered with something other than a snapshot or 'none'."""


def snapshot_path(root: str | Path, tenant: str, report: str, kind: str, day: date) -> Path:
    validate_name(tenant, "tenant")
    validate_name(report, "report")
    validate_name(kind, "connector kind")
    return Path(root) / tenant / "connectors" / report / kind / f"{day.isoformat()}.json"


class ArgoConnectorResource(dg.ConfigurableResource):
    """``webhdfs_url``/``webhdfs_user`` and ``s3_endpoint_url``: how sync folders on ``hdfs://``
    and ``s3://`` are reached (``WEIR_WEBHDFS_URL``, ``WEIR_WEBHDFS_USER``, ``S3_ENDPOINT_URL``)."""

    timeout_s: float = 30.0
    webhdfs_url: str | None = None
    webhdfs_user: str | None = None
    s3_endpoint_url: str | None = None

    def fetch(
        self,
        source: Source,
        tenant: str,
        report: str,
        kind: ConnectorEndpoint,
        day: date,
        report_id: str | None = None,
    ) -> Any | None:
        """The snapshot of ``kind`` for the report-day, or None when the source has none."""
        if source.kind == "files":
            path = snapshot_path(source.root or "", tenant, report, kind.fetched_as, day)
            if not path.exists():
                return None
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ConnectorFetchError(
                    f"{kind.name} snapshot {path} is not valid JSON: {exc}"
                ) from None
            except (OSError, UnicodeDecodeError) as exc:  # a folder, no permission, not UTF-8
                raise ConnectorFetchError(
                    f"{kind.name} snapshot {path} cannot be read: {exc}"
                ) from None
        if source.kind == "sync_files":
            return self._fetch_sync(source, tenant, report, kind, day)
        return self._fetch_api(source, tenant, report, kind, day, report_id or report)

    def _fetch_sync(
        self, source: Source, tenant: str, report: str, kind: ConnectorEndpoint, day: date
    ) -> Any | None:
        read = lake_reader(self.webhdfs_url, self.webhdfs_user, self.s3_endpoint_url)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            data = read_sync_snapshot(read, source.root or "", tenant, report, kind.fetched_as, day)
        except (SyncFileError, WebHdfsError, OSError, BotoCoreError, ClientError) as exc:
            raise ConnectorFetchError(
                f"tenant {tenant!r}, report {report!r}, {kind.name}: {exc}"
            ) from None
        if data == [] and not kind.empty_is_snapshot:
            return None  # an empty file is no snapshot, as an empty API answer is not
        return data

    def _fetch_api(
        self,
        source: Source,
        tenant: str,
        report: str,
        kind: ConnectorEndpoint,
        day: date,
        report_id: str,
    ) -> Any | None:
        token = source.token or (os.environ.get(source.token_env, "") if source.token_env else "")
        api_path = kind.api_path.format(
            report=validate_name(report, "report"),
            report_id=validate_name(report_id, "report id"),
        )
        url = f"{(source.url or '').rstrip('/')}/api/v2/{api_path}"
        response = requests.get(
            url,
            params={"date": day.isoformat()},
            timeout=self.timeout_s,
            headers={"x-api-key": token, "Accept": "application/json"},
        )
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise ConnectorFetchError(
                f"ARGO web API refused the token of tenant {tenant!r} ({response.status_code})"
            )
        if response.status_code != 200:
            raise ConnectorFetchError(
                f"ARGO web API {url} answered {response.status_code}: {response.text[:200]}"
            )
        try:
            data = response.json().get("data")
        except (ValueError, AttributeError):
            raise ConnectorFetchError(
                f"ARGO web API {url} did not answer with a JSON envelope"
            ) from None
        if data in (None, []) and not kind.empty_is_snapshot:
            return None
        items = data if isinstance(data, list) else [data]
        dates = {i.get("date") for i in items if isinstance(i, dict) and i.get("date")}
        if any(str(d) > day.isoformat() for d in dates):
            return None  # the API answered with a version that starts after the day
        # a profile's date is the day its version starts: an earlier one is the version in force
        return data
