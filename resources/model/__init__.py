"""Plain data shared by resources and slices: the tenant registry's model, the monitoring INI
config's model, table schemas. Imports neither Dagster nor any other part of ``resources``, so a
kernel may use it (checked by the import contracts in pyproject.toml)."""
