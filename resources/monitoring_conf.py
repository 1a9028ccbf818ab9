"""The monitoring INI config as a resource, and the Flink cluster it names.

The file is looked up as documented in platform_assets/streaming/monitoring_conf.py (explicit path,
then /etc/argo-streaming/conf/conf.cfg, then the project's conf/). ``flink_rest_url`` overrides the
config's ``[FLINK] job_manager`` (tests and port-forwarded clusters)."""

import dagster as dg

from resources.flink import FlinkResource
from resources.model.ini import ConfError
from resources.model.monitoring_conf import MonitoringConf, load_monitoring_conf
from resources.model.tenancy import RegistryError


class MonitoringConfResource(dg.ConfigurableResource):
    path: str | None = None
    flink_rest_url: str | None = None

    def load(self) -> MonitoringConf:
        """The parsed config; a wrong config fails the step without retries (a retry cannot fix
        it)."""
        try:
            return load_monitoring_conf(self.path)
        except (ConfError, RegistryError) as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None

    def flink(self, conf: MonitoringConf | None = None) -> FlinkResource:
        return FlinkResource(
            rest_url=self.flink_rest_url or (conf or self.load()).flink_job_manager
        )
