"""The tenant registry file (YAML) as a resource; parsing and validation live in tenancy.py."""


import dagster as dg

from platform_assets.tenancy import RegistryError, Tenant, TenantRegistry, load_registry


class TenantRegistryResource(dg.ConfigurableResource):
    path: str

    def load(self) -> TenantRegistry:
        return load_registry(self.path)

    def tenant(self, name: str) -> Tenant:
        """The registered tenant ``name``; unsafe or unknown names fail the step (no retries: a
        retry cannot make a wrong name right)."""
        try:
            return self.load().get(name)
        except RegistryError as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None
