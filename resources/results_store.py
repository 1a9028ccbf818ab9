"""Where A/R results go: ARGO's MongoDB collections, or local files with the same semantics.

Both stores implement ``write_day(tenant, collection, report, day, docs, method)``, ``docs`` a
list of dicts or a ``DocumentTable`` (millions of status documents: taken a chunk at a time):
- ``upsert`` replaces each document by its key (report, date, name[, service], supergroup);
- ``insert`` deletes the whole report-day first, then inserts.
Re-running a partition therefore never duplicates. MongoDB cannot run on this machine, so the
pymongo code is tested with mongomock and against a real server only when MONGO_URL is set.
"""

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
import orjson
import pyarrow.parquet as pq

from resources.model.documents import DocumentTable
from resources.model.tenancy import validate_name

KEY_FIELDS = {
    "endpoint_ar": ("report", "date", "name", "service", "supergroup"),
    "service_ar": ("report", "date", "name", "supergroup"),
    "endpoint_group_ar": ("report", "date", "name", "supergroup"),
    # the status collections, keyed as ARGO's batch job upserts them
    "status_endpoints": (
        "report",
        "date_integer",
        "endpoint_group",
        "service",
        "host",
        "timestamp",
    ),
    "status_services": ("report", "date_integer", "endpoint_group", "service", "timestamp"),
    "status_endpoint_groups": ("report", "date_integer", "endpoint_group", "timestamp"),
    "status_metrics": (
        "report",
        "date_integer",
        "endpoint_group",
        "service",
        "host",
        "metric",
        "timestamp",
    ),
}
# the field holding the day (YYYYMMDD) in each collection
DAY_FIELD = {c: "date_integer" if c.startswith("status_") else "date" for c in KEY_FIELDS}
AR_COLLECTIONS = ("endpoint_ar", "service_ar", "endpoint_group_ar")
# a status timeline is replaced whole: upserting a recomputed day by (.., timestamp) would keep
# change points that no longer exist (ARGO clears the report-day the same way, --clearMongo)
REPLACES_DAY = frozenset(c for c in KEY_FIELDS if c.startswith("status_"))
METHODS = ("upsert", "insert")


def _check(collection: str, method: str) -> None:
    if collection not in KEY_FIELDS:
        raise ValueError(f"unknown results collection {collection!r}")
    if method not in METHODS:
        raise ValueError(f"write method must be one of {METHODS}, got {method!r}")


def day_int(day: date) -> int:
    return int(day.strftime("%Y%m%d"))


Documents = list[dict[str, Any]] | DocumentTable  # a table: too many to hold as dicts at once


def _dict_chunks(docs: Documents) -> Iterator[list[dict[str, Any]]]:
    if isinstance(docs, list):
        yield docs
    else:
        yield from docs.dict_chunks()


class ResultsStore(Protocol):
    def write_day(
        self,
        tenant: str,
        collection: str,
        report: str,
        day: date,
        docs: Documents,
        method: str,
    ) -> int: ...

    def read_day(
        self, tenant: str, collection: str, report: str, day: date
    ) -> list[dict[str, Any]]: ...

    def delete_day(self, tenant: str, collection: str, report: str, day: date) -> int: ...


class MongoResultsStore:
    """ResultsStore over a pymongo-compatible client; database ``argo_<tenant>``."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _collection(self, tenant: str, collection: str) -> Any:
        coll = self._client[f"argo_{validate_name(tenant, 'tenant')}"][collection]
        coll.create_index([("report", 1), (DAY_FIELD.get(collection, "date"), 1)])
        return coll

    def write_day(
        self,
        tenant: str,
        collection: str,
        report: str,
        day: date,
        docs: Documents,
        method: str,
    ) -> int:
        _check(collection, method)
        coll = self._collection(tenant, collection)
        if method == "insert" or collection in REPLACES_DAY:
            self.delete_day(tenant, collection, report, day)
            for chunk in _dict_chunks(docs):
                if chunk:
                    coll.insert_many([dict(d) for d in chunk], ordered=True)
            return len(docs)
        keys = KEY_FIELDS[collection]
        # one replace_one per document: plain and portable
        # (mongomock's bulk_write lags pymongo 4.20)
        for chunk in _dict_chunks(docs):
            for d in chunk:
                coll.replace_one({k: d[k] for k in keys}, dict(d), upsert=True)
        return len(docs)

    def delete_day(self, tenant: str, collection: str, report: str, day: date) -> int:
        """Remove a report-day (what ``insert`` does first; also used before an external A/R
        job)."""
        _check(collection, "insert")
        return (
            self._collection(tenant, collection)
            .delete_many({"report": report, DAY_FIELD[collection]: day_int(day)})
            .deleted_count
        )

    def read_day(
        self, tenant: str, collection: str, report: str, day: date
    ) -> list[dict[str, Any]]:
        coll = self._collection(tenant, collection)
        return [
            {k: v for k, v in d.items() if k != "_id"}
            for d in coll.find({"report": report, DAY_FIELD[collection]: day_int(day)})
        ]


STANDARD_LIBRARY_MARK = b" "  # leads a file orjson could not write: read back by json, too


def _encoded(docs: list[dict[str, Any]]) -> bytes:
    """The documents as one JSON array, keys sorted (orjson: a day's million status documents in
    about a second). Where orjson refuses a value (a lone surrogate, an integer beyond 64 bits)
    the standard library writes it, behind a leading space that tells ``read_day`` to read it
    with the standard library too (orjson would read such an integer as a float)."""
    try:
        return orjson.dumps(docs, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        # \u escapes: valid UTF-8 always
        return STANDARD_LIBRARY_MARK + json.dumps(docs, sort_keys=True).encode()


class LocalResultsStore:
    """The embedded default: one file per tenant/collection/report/day, replaced atomically: JSON,
    or Parquet for documents handed over as a table (a day's status timelines), read back as the
    same documents."""

    def __init__(self, root: str) -> None:
        self._root = Path(root)

    def _path(self, tenant: str, collection: str, report: str, day: date) -> Path:
        return (
            self._root
            / f"argo_{validate_name(tenant, 'tenant')}"
            / collection
            / validate_name(report, "report")
            / f"{day.isoformat()}.json"
        )

    def read_day(
        self, tenant: str, collection: str, report: str, day: date
    ) -> list[dict[str, Any]]:
        path = self._path(tenant, collection, report, day)
        table = path.with_suffix(".parquet")
        if table.exists():
            return [
                d
                for chunk in DocumentTable.from_stored(pq.read_table(table)).dict_chunks()
                for d in chunk
            ]
        if not path.exists():
            return []
        data = path.read_bytes()
        if data.startswith(STANDARD_LIBRARY_MARK):
            return json.loads(data)
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:  # a file written before orjson (NaN, surrogates)
            return json.loads(data)

    def delete_day(self, tenant: str, collection: str, report: str, day: date) -> int:
        _check(collection, "insert")
        path = self._path(tenant, collection, report, day)
        table = path.with_suffix(".parquet")
        count = (
            pq.ParquetFile(table).metadata.num_rows
            if table.exists()
            else len(self.read_day(tenant, collection, report, day))
        )
        path.unlink(missing_ok=True)
        table.unlink(missing_ok=True)
        return count

    def write_day(
        self,
        tenant: str,
        collection: str,
        report: str,
        day: date,
        docs: Documents,
        method: str,
    ) -> int:
        _check(collection, method)
        keys = KEY_FIELDS[collection]
        path = self._path(tenant, collection, report, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        replaced = method == "insert" or collection in REPLACES_DAY
        if replaced and isinstance(docs, DocumentTable):
            # kept as the table it came as (a day's status_metrics is millions of documents)
            # written and read fast; always read whole, so no min/max statistics to compute
            pq.write_table(docs.stored(), tmp, compression="lz4", write_statistics=False)
            tmp.replace(path.with_suffix(".parquet"))
            path.unlink(missing_ok=True)
            return len(docs)
        if replaced:
            kept = [d for chunk in _dict_chunks(docs) for d in chunk]  # as insert_many: all
        else:
            merged = {
                tuple(d[k] for k in keys): d for d in self.read_day(tenant, collection, report, day)
            }
            merged.update(
                {tuple(d[k] for k in keys): dict(d) for c in _dict_chunks(docs) for d in c}
            )
            kept = list(merged.values())
        tmp.write_bytes(_encoded(kept))
        tmp.replace(path)
        path.with_suffix(".parquet").unlink(missing_ok=True)
        return len(docs)


class ResultsResource(dg.ConfigurableResource):
    """What assets ask for: a results store and the default write method."""

    write_method: str = "upsert"

    def store(self) -> ResultsStore:
        raise NotImplementedError


class MongoResource(ResultsResource):
    """ARGO's results database. ``url`` from MONGO_URL in production."""

    url: str

    def store(self) -> ResultsStore:
        from pymongo import MongoClient

        return MongoResultsStore(MongoClient(self.url, tz_aware=True))


class LocalResultsResource(ResultsResource):
    """Results kept as files under ``root`` with the MongoDB store's semantics."""

    root: str

    def store(self) -> ResultsStore:
        return LocalResultsStore(self.root)
