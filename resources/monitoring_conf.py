"""The monitoring INI config as a resource, and the Flink cluster it names.

The file is looked up as documented in platform_assets/streaming/monitoring_conf.py (explicit path,
then /etc/argo-streaming/conf/conf.cfg, then the project's conf/). ``flink_rest_url`` overrides the
config's ``[FLINK] job_manager`` (tests and port-forwarded clusters)."""

from collections.abc import Callable, Iterable
from pathlib import Path

import dagster as dg

from resources.flink import FlinkResource
from resources.model.ini import ConfError
from resources.model.monitoring_conf import MonitoringConf, load_monitoring_conf
from resources.model.tenancy import RegistryError
from resources.storage import s3_exists, s3_files_named
from resources.webhdfs import WebHdfs

# a remote checkpoint root -> its ``_metadata`` files (URI, modification time in seconds)
MetadataLister = Callable[[str], Iterable[tuple[str, float]]]


class MonitoringConfResource(dg.ConfigurableResource):
    path: str | None = None
    flink_rest_url: str | None = None
    webhdfs_url: str | None = None  # WEIR_WEBHDFS_URL; else http://<namenode>:9870
    s3_endpoint_url: str | None = None  # S3_ENDPOINT_URL, for checkpoints on S3-compatible stores

    def load(self) -> MonitoringConf:
        """The parsed config; a wrong config fails the step without retries (a retry cannot fix
        it)."""
        try:
            return load_monitoring_conf(self.path)
        except (ConfError, RegistryError) as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None

    def restore_listers(self, conf: MonitoringConf) -> dict[str, MetadataLister]:
        """How to find checkpoint ``_metadata`` files on HDFS and S3 (local roots need none)."""
        hdfs = WebHdfs(self.webhdfs_url, conf.hdfs_user)
        return {
            "hdfs": lambda root: hdfs.files_named(root, "_metadata"),
            "s3": lambda root: s3_files_named(root, "_metadata", self.s3_endpoint_url),
        }

    def lake_exists(self, conf: MonitoringConf) -> Callable[[str], bool]:
        """Whether a path on the monitoring lake exists: local or file://, s3://, hdfs://."""
        hdfs = WebHdfs(self.webhdfs_url, conf.hdfs_user)

        def exists(uri: str) -> bool:
            if uri.startswith("hdfs://"):
                return hdfs.exists(uri)
            if uri.startswith("s3://"):
                return s3_exists(uri, self.s3_endpoint_url)
            return Path(uri.removeprefix("file://").removeprefix("file:")).exists()

        return exists

    def flink(self, conf: MonitoringConf | None = None) -> FlinkResource:
        return FlinkResource(
            rest_url=self.flink_rest_url or (conf or self.load()).flink_job_manager
        )
