"""Where each ARGO asset keeps its files in the lake (one function per asset, validated names)."""

from __future__ import annotations

from datetime import date

from resources.model.tenancy import validate_name


def metric_data(tenant: str, day: date) -> str:
    return f"argo/metric_data/{validate_name(tenant, 'tenant')}/{day.isoformat()}.parquet"


def metric_quarantine(tenant: str, day: date) -> str:
    return (
        f"argo/metric_data_quarantine/{validate_name(tenant, 'tenant')}/{day.isoformat()}.parquet"
    )


def landing_dir(tenant: str, day: date | str) -> str:
    label = day if isinstance(day, str) else day.isoformat()
    return f"argo/landing/{validate_name(tenant, 'tenant')}/{label}"


def connector(kind: str, tenant: str, day: date, report: str) -> str:
    return (
        f"argo/connectors/{kind}/{validate_name(tenant, 'tenant')}/{day.isoformat()}/"
        f"{validate_name(report, 'report')}.json"
    )


def ar_table(level: str, tenant: str, day: date) -> str:
    return f"argo/{level}/{validate_name(tenant, 'tenant')}/{day.isoformat()}.parquet"
