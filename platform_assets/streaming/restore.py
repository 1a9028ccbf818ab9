"""Finding where a streaming job should resume from. No Dagster import.

A restore point is a savepoint (``savepoint-*``) or a retained checkpoint (``chk-N``) directory
holding a ``_metadata`` file, anywhere under the job's checkpoint root; the newest by the
``_metadata`` file's modification time wins. The root may be local (a path or ``file://``), on
S3 (``s3://``) or on HDFS (``hdfs://``, listed through WebHDFS): the caller passes a lister per
remote scheme (``resources/webhdfs.py``, ``resources/storage.py``), so a root whose scheme has no
lister is an error, never a silent "nothing to restore".
"""

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

# a remote root -> every ``_metadata`` file under it: (its URI, modification time)
MetadataLister = Callable[[str], Iterable[tuple[str, float]]]
POINT_PREFIXES = ("savepoint-", "chk-")


class RestoreRootError(ValueError):
    """The checkpoint root's scheme cannot be listed here."""


def _local(path: str) -> Path:
    return Path(
        path[len("file://") :] if path.startswith("file://") else path.removeprefix("file:")
    )


def _local_metadata(root: str) -> list[tuple[str, float]]:
    base = _local(root)
    if not base.is_dir():
        return []
    return [(f"file:{meta}", meta.stat().st_mtime_ns / 1e9) for meta in base.rglob("_metadata")]


def newest(metadata_files: Iterable[tuple[str, float]]) -> str | None:
    """The restore point (the directory URI) of the newest ``_metadata`` in a restore-point
    directory; ties broken by name, so the answer never depends on listing order."""
    points = [
        (mtime, uri.rsplit("/", 1)[0])
        for uri, mtime in metadata_files
        if uri.endswith("/_metadata")
        and uri.rsplit("/", 1)[0].rsplit("/", 1)[-1].startswith(POINT_PREFIXES)
    ]
    return max(points)[1] if points else None


def newest_restore_point(
    root: str, listers: Mapping[str, MetadataLister] | None = None
) -> str | None:
    """The newest savepoint or retained checkpoint under ``root``, as a URI Flink takes
    (``file:/...``, ``s3://...``, ``hdfs://...``); None when there is none."""
    scheme = root.split("://", 1)[0] if "://" in root else "file"
    if scheme == "file":
        return newest(_local_metadata(root))
    lister = (listers or {}).get(scheme)
    if lister is None:
        raise RestoreRootError(
            f"checkpoint root {root!r}: no way to list {scheme}:// here (local, file://, s3:// "
            "and hdfs:// are read)"
        )
    return newest(lister(root))
