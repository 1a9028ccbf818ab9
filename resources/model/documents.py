"""Results documents kept as an Arrow table, one row per document: how a day of millions of status
documents travels to a results store without a Python dict each (MongoDB takes them a chunk at a
time; the local store keeps the table as it is).

A column may hold a sub-document as JSON text (``subdocuments``): it becomes the parsed value in
the document; where a row has none, the field is either left out (``True``) or null (``False``).
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

SUBDOCUMENTS_METADATA = b"weir.subdocuments"  # how a stored table records its subdocuments


class DocumentTable:
    """Documents as ``table`` rows; ``subdocuments``: column -> leave the field out when empty."""

    def __init__(
        self, table: pa.Table, subdocuments: Mapping[str, bool], chunk_rows: int = 200_000
    ):
        self.table, self.subdocuments, self.chunk_rows = table, dict(subdocuments), chunk_rows

    def __len__(self) -> int:
        return self.table.num_rows

    def dict_chunks(self) -> Iterator[list[dict[str, Any]]]:
        for start in range(0, self.table.num_rows, self.chunk_rows):
            yield documents_of(self.table.slice(start, self.chunk_rows), self.subdocuments)

    def stored(self) -> pa.Table:
        """The table with its subdocument rule in its schema metadata (``from_stored`` reads it)."""
        metadata = {**(self.table.schema.metadata or {})}
        metadata[SUBDOCUMENTS_METADATA] = json.dumps(self.subdocuments).encode()
        return self.table.replace_schema_metadata(metadata)

    @classmethod
    def from_stored(cls, table: pa.Table) -> "DocumentTable":
        rule = (table.schema.metadata or {}).get(SUBDOCUMENTS_METADATA, b"{}")
        return cls(table, json.loads(rule))


def documents_of(table: pa.Table, subdocuments: Mapping[str, bool]) -> list[dict[str, Any]]:
    """The rows as documents: each distinct sub-document text parsed once, its value shared."""
    docs = table.to_pylist()
    for name, omit_empty in subdocuments.items():
        if name not in table.column_names:
            continue
        cache: dict[str, Any] = {}
        for doc in docs:
            text = doc[name]
            if isinstance(text, str) and text:
                if text not in cache:
                    cache[text] = json.loads(text)
                doc[name] = cache[text]
            elif omit_empty:
                del doc[name]
            else:
                doc[name] = None
    return docs
