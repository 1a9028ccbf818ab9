"""The tenant registry as a resource: a YAML registry file, or the monitoring INI config
(``.cfg``/``.conf``/``.ini``) whose tenants then feed the A/R slice. Parsing lives in
platform_assets (tenancy.py, streaming/monitoring_conf.py)."""

import dagster as dg

from resources.model.ini import ConfError
from resources.model.monitoring_conf import load_monitoring_conf, registry_from_conf
from resources.model.tenancy import RegistryError, Tenant, TenantRegistry, load_registry

INI_SUFFIXES = (".cfg", ".conf", ".ini")


class TenantRegistryResource(dg.ConfigurableResource):
    path: str

    def load(self) -> TenantRegistry:
        if self.path.endswith(INI_SUFFIXES):
            try:
                return registry_from_conf(load_monitoring_conf(self.path))
            except ConfError as exc:
                raise RegistryError(str(exc)) from None
        return load_registry(self.path)

    def tenant(self, name: str) -> Tenant:
        """The registered tenant ``name``; unsafe or unknown names fail the step (no retries: a
        retry cannot make a wrong name right)."""
        try:
            return self.load().get(name)
        except RegistryError as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None
