"""What a kernel may ask of the lake: read-only access by key. ``resources.storage.LakeResource``
has this shape; kernels take it as an argument and never import the resource (or Dagster)."""

from collections.abc import Sequence
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq


class LakeReader(Protocol):
    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]: ...

    def read_bytes(self, key: str) -> bytes: ...

    def read_table(
        self,
        key: str,
        columns: Sequence[str] | None = None,
        read_dictionary: Sequence[str] | None = None,
    ) -> pa.Table: ...

    def parquet_file(
        self, key: str, read_dictionary: Sequence[str] | None = None
    ) -> pq.ParquetFile: ...
