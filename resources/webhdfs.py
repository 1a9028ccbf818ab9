"""HDFS through its WebHDFS REST API (``/webhdfs/v1/<path>?op=LISTSTATUS``): what Weir needs of
HDFS is to find files (a streaming job's newest checkpoint), and WebHDFS needs no Hadoop client.

``hdfs://namenode:8020/path`` is listed at ``WEIR_WEBHDFS_URL`` when set, else at
``http://namenode:9870`` (Hadoop 3's default WebHDFS port; Hadoop 2 used 50070), as ``user``
(``[HDFS] user`` / ``hdfs_user`` of the monitoring config) with simple authentication.
"""

from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import requests


class WebHdfsError(RuntimeError):
    """WebHDFS answered with an error or could not be reached; the message says which path."""


class WebHdfs:
    def __init__(self, base_url: str | None = None, user: str | None = None, timeout_s: float = 10):
        self.base_url, self.user, self.timeout_s = base_url, user, timeout_s

    def _endpoint(self, uri: str) -> tuple[str, str, str]:
        """(WebHDFS base URL, path, the hdfs:// authority) of an ``hdfs://`` URI."""
        parts = urlsplit(uri)
        if parts.scheme != "hdfs" or not parts.hostname:
            raise WebHdfsError(f"{uri!r} is not an hdfs://host/path URI")
        base = self.base_url or f"http://{parts.hostname}:9870"
        return base.rstrip("/"), parts.path or "/", f"hdfs://{parts.netloc}"

    def list_status(self, uri: str) -> list[dict]:
        """The entries of one directory (``FileStatus`` objects); [] when it does not exist."""
        base, path, _ = self._endpoint(uri)
        params = {"op": "LISTSTATUS", **({"user.name": self.user} if self.user else {})}
        try:
            answer = requests.get(
                f"{base}/webhdfs/v1{quote(path)}", params=params, timeout=self.timeout_s
            )
        except requests.RequestException as exc:
            raise WebHdfsError(f"WebHDFS at {base} unreachable listing {path}: {exc}") from None
        if answer.status_code == 404:
            return []
        if answer.status_code != 200:
            raise WebHdfsError(
                f"WebHDFS listing {path} answered {answer.status_code}: {answer.text[:200]}"
            )
        try:
            return list(answer.json()["FileStatuses"]["FileStatus"])
        except (ValueError, KeyError, TypeError):
            raise WebHdfsError(f"WebHDFS listing {path}: not a LISTSTATUS answer") from None

    def read(self, uri: str) -> bytes | None:
        """The bytes of the file ``uri`` (``op=OPEN``, following the namenode's redirect to a
        datanode); None when it does not exist."""
        base, path, _ = self._endpoint(uri)
        params = {"op": "OPEN", **({"user.name": self.user} if self.user else {})}
        try:
            answer = requests.get(
                f"{base}/webhdfs/v1{quote(path)}", params=params, timeout=self.timeout_s
            )
        except requests.RequestException as exc:
            raise WebHdfsError(f"WebHDFS at {base} unreachable reading {path}: {exc}") from None
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise WebHdfsError(
                f"WebHDFS reading {path} answered {answer.status_code}: {answer.text[:200]}"
            )
        return answer.content

    def exists(self, uri: str) -> bool:
        """Whether the file or directory ``uri`` exists (its parent's listing names it)."""
        parent, _, name = uri.rstrip("/").rpartition("/")
        return any(e.get("pathSuffix") == name for e in self.list_status(parent or "/"))

    def _walk(self, uri: str, max_depth: int) -> Iterator[tuple[str, dict]]:
        """(hdfs:// URI, FileStatus) of every entry under ``uri``, ``max_depth`` levels down."""
        _, root, authority = self._endpoint(uri)
        pending = [(root.rstrip("/") or "/", 0)]
        while pending:
            folder, depth = pending.pop()
            for entry in self.list_status(f"{authority}{folder}"):
                child = f"{folder.rstrip('/')}/{entry.get('pathSuffix', '')}"
                yield f"{authority}{child}", entry
                if entry.get("type") == "DIRECTORY" and depth < max_depth:
                    pending.append((child, depth + 1))

    def holds_files(self, uri: str, max_depth: int = 3) -> bool:
        """Whether any file lies under ``uri`` (a metric-data day folder holds part files)."""
        return any(entry.get("type") == "FILE" for _, entry in self._walk(uri, max_depth))

    def files_named(self, uri: str, name: str, max_depth: int = 6) -> list[tuple[str, float]]:
        """(hdfs:// URI, modification time in seconds) of every file called ``name`` under
        ``uri``, at most ``max_depth`` directories down."""
        return [
            (path, entry.get("modificationTime", 0) / 1000)
            for path, entry in self._walk(uri, max_depth)
            if entry.get("type") == "FILE" and entry.get("pathSuffix") == name
        ]
