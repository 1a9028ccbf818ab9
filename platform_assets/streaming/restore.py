"""Finding where a streaming job should resume from. No Dagster import."""

from pathlib import Path


def _local(path: str) -> Path:
    return Path(
        path[len("file://") :] if path.startswith("file://") else path.removeprefix("file:")
    )


def newest_restore_point(root: str) -> str | None:
    """The newest savepoint (``savepoint-*``) or retained checkpoint (``chk-N``) holding a
    ``_metadata`` file anywhere under ``root`` (a local
    path or ``file://`` URI), as a ``file:`` URI."""
    base = _local(root)
    if not base.is_dir():
        return None
    candidates = [
        meta.parent
        for meta in base.rglob("_metadata")
        if meta.parent.name.startswith(("savepoint-", "chk-"))
    ]
    if not candidates:
        return None
    newest = max(candidates, key=lambda p: (p.joinpath("_metadata").stat().st_mtime_ns, str(p)))
    return f"file:{newest}"
