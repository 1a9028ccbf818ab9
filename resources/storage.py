"""The lake: where every asset's files live, a local directory or an S3 prefix.

Writes are atomic per key (temp file + fsync + rename locally; a single PUT on S3), so a partition
is either the old bytes or the new bytes, never half of each. Assets only see keys like
``argo/metric_data/acme/2024-01-02.parquet``.
"""

import io
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_aws.s3 import S3Resource
from pydantic import Field


class LakeResource(dg.ConfigurableResource):
    """``root`` is a directory (local) or ``s3://bucket/prefix`` (then ``s3`` supplies the
    client)."""

    root: str = Field(description="Local directory or s3://bucket/prefix")
    s3: S3Resource | None = None

    @property
    def _is_s3(self) -> bool:
        return self.root.startswith("s3://")

    def _bucket_prefix(self) -> tuple[str, str]:
        bucket, _, prefix = self.root[len("s3://") :].partition("/")
        return bucket, prefix.strip("/")

    def _s3_key(self, key: str) -> str:
        _, prefix = self._bucket_prefix()
        return f"{prefix}/{key}" if prefix else key

    def _client(self):  # noqa: ANN202 - boto3 client
        if self.s3 is None:
            raise dg.DagsterInvariantViolationError(
                f"lake root {self.root} is on S3 but no s3 resource is set"
            )
        return self.s3.get_client()

    def describe(self, key: str) -> str:
        return f"{self.root.rstrip('/')}/{key}"

    def write_bytes(self, key: str, data: bytes) -> None:
        if self._is_s3:
            bucket, _ = self._bucket_prefix()
            self._client().put_object(Bucket=bucket, Key=self._s3_key(key), Body=data)
            return
        path = Path(self.root) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read_bytes(self, key: str) -> bytes:
        if self._is_s3:
            bucket, _ = self._bucket_prefix()
            return self._client().get_object(Bucket=bucket, Key=self._s3_key(key))["Body"].read()
        return (Path(self.root) / key).read_bytes()

    def exists(self, key: str) -> bool:
        if self._is_s3:
            bucket, _ = self._bucket_prefix()
            found = self._client().list_objects_v2(
                Bucket=bucket, Prefix=self._s3_key(key), MaxKeys=1
            )
            return any(o["Key"] == self._s3_key(key) for o in found.get("Contents", []))
        return (Path(self.root) / key).is_file()

    def delete(self, key: str) -> None:
        """Remove ``key`` if it exists."""
        if self._is_s3:
            bucket, _ = self._bucket_prefix()
            self._client().delete_object(Bucket=bucket, Key=self._s3_key(key))
            return
        (Path(self.root) / key).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix`` (sorted), relative to the lake root."""
        if self._is_s3:
            bucket, base = self._bucket_prefix()
            paginator = self._client().get_paginator("list_objects_v2")
            keys = [
                o["Key"]
                for page in paginator.paginate(Bucket=bucket, Prefix=self._s3_key(prefix))
                for o in page.get("Contents", [])
            ]
            return sorted(k[len(base) + 1 :] if base else k for k in keys)
        root = Path(self.root)
        folder = root / prefix
        if not folder.is_dir():
            return []
        return sorted(
            str(p.relative_to(root))
            for p in folder.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        )

    def write_table(
        self,
        key: str,
        table: pa.Table,
        compression: str = "zstd",
        level: int | None = None,
        use_dictionary: bool | Sequence[str] = True,
        write_statistics: bool | Sequence[str] = True,
        store_schema: bool = True,
    ) -> None:
        """Parquet; zstd by default. Short-lived, large data may trade size for speed (lz4 writes
        and reads ~6x faster than default zstd, at twice the size); columns of unique values write
        faster without dictionary encoding (``use_dictionary`` names the columns that keep it), and
        columns nobody filters on without min/max statistics
        (``write_statistics`` names those that keep them)."""
        with self.staged_writes() as staged:
            staged.table(
                key,
                table.schema,
                compression=compression,
                level=level,
                use_dictionary=use_dictionary,
                write_statistics=write_statistics,
                store_schema=store_schema,
            ).write_table(table)

    @contextmanager
    def staged_writes(self) -> Iterator["StagedWrites"]:
        """Parquet files written row group by row group (a large output never sits whole in
        memory) into a staging directory, and published at their keys when the block ends: all of
        them if it ends cleanly, none if it raises."""
        local_root = None if self._is_s3 else Path(self.root)
        if local_root is not None:
            local_root.mkdir(parents=True, exist_ok=True)
        # locally inside the root, so that publishing is a rename on the same filesystem
        folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=local_root))
        staged = StagedWrites(folder)
        try:
            yield staged
            for key, path in staged.close():
                self._publish(key, path)
        finally:
            staged.close()
            shutil.rmtree(folder, ignore_errors=True)

    def _publish(self, key: str, path: Path) -> None:
        if self._is_s3:
            bucket, _ = self._bucket_prefix()
            self._client().upload_file(
                str(path), bucket, self._s3_key(key)
            )  # multipart: atomic at completion
            return
        target = Path(self.root) / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(path, target)

    def parquet_file(
        self, key: str, read_dictionary: Sequence[str] | None = None
    ) -> pq.ParquetFile:
        """The Parquet file at ``key`` opened for reading by row group (local: memory-mapped;
        S3: downloaded once); ``read_dictionary`` columns read dictionary-encoded."""
        where = io.BytesIO(self.read_bytes(key)) if self._is_s3 else Path(self.root) / key
        return pq.ParquetFile(
            where, memory_map=not self._is_s3, read_dictionary=read_dictionary or None
        )

    def read_table(
        self,
        key: str,
        columns: Sequence[str] | None = None,
        read_dictionary: Sequence[str] | None = None,
    ) -> pa.Table:
        """The Parquet table at ``key``; only ``columns`` when given (Parquet skips the others);
        ``read_dictionary`` columns as dictionary arrays (a repetitive text column read as
        codes into its distinct values: no copy of each value)."""
        file = self.parquet_file(key, read_dictionary)
        return file.read(columns=list(columns) if columns else None)


class StagedWrites:
    """The open Parquet writers of one ``LakeResource.staged_writes`` block."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._writers: dict[str, tuple[pq.ParquetWriter, Path]] = {}

    def table(
        self,
        key: str,
        schema: pa.Schema,
        compression: str = "zstd",
        level: int | None = None,
        use_dictionary: bool | Sequence[str] = True,
        write_statistics: bool | Sequence[str] = True,
        store_schema: bool = True,
    ) -> pq.ParquetWriter:
        """A writer for ``key``: each ``write_table`` call appends row groups. Without
        ``store_schema`` the file carries no Arrow schema: a dictionary-encoded text column
        reads back as plain text, as files written from plain text columns do."""
        if key in self._writers:
            raise ValueError(f"{key} is already being written in this block")
        path = self._folder / f".{len(self._writers)}.parquet"  # hidden: never listed as a key
        writer = pq.ParquetWriter(
            path,
            schema,
            compression=compression,
            compression_level=level,
            use_dictionary=use_dictionary,
            write_statistics=write_statistics,
            store_schema=store_schema,
        )
        self._writers[key] = (writer, path)
        return writer

    def close(self) -> list[tuple[str, Path]]:
        """Close every writer (idempotent); the (key, file) pairs to publish."""
        for writer, _ in self._writers.values():
            if writer.is_open:
                writer.close()
        return [(key, path) for key, (_, path) in self._writers.items()]


def s3_files_named(uri: str, name: str, endpoint_url: str | None = None) -> list[tuple[str, float]]:
    """(s3:// URI, modification time in seconds) of every object called ``name`` under ``uri``
    (``s3://bucket/prefix``): how a streaming job's checkpoints on S3 are found."""
    import boto3

    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    client = boto3.client("s3", endpoint_url=endpoint_url)
    found = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix.rstrip("/") + "/" if prefix else ""
    ):
        for item in page.get("Contents", []):
            if item["Key"].rsplit("/", 1)[-1] == name:
                found.append((f"s3://{bucket}/{item['Key']}", item["LastModified"].timestamp()))
    return found


def s3_exists(uri: str, endpoint_url: str | None = None) -> bool:
    """Whether the object ``s3://bucket/key`` exists."""
    import boto3
    from botocore.exceptions import ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        boto3.client("s3", endpoint_url=endpoint_url).head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def s3_read(uri: str, endpoint_url: str | None = None) -> bytes | None:
    """The bytes of the object ``s3://bucket/key``; None when there is no such object."""
    import boto3
    from botocore.exceptions import ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        answer = boto3.client("s3", endpoint_url=endpoint_url).get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return answer["Body"].read()
