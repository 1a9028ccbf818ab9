"""The tenant registry file (YAML) as a resource; parsing and validation live in tenancy.py."""


import dagster as dg

from platform_assets.tenancy import Tenant, TenantRegistry, load_registry


class TenantRegistryResource(dg.ConfigurableResource):
    path: str

    def load(self) -> TenantRegistry:
        return load_registry(self.path)

    def tenant(self, name: str) -> Tenant:
        """The registered tenant ``name``, or a clear error (unsafe or unknown names are refused)."""
        return self.load().get(name)
