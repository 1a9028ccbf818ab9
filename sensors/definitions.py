"""Every sensor of ``sensors/``, found by module: adding a sensor module needs no other edit."""

import importlib
import pkgutil

import dagster as dg

import sensors


def sensor_modules() -> list[str]:
    return sorted(
        f"sensors.{m.name}"
        for m in pkgutil.iter_modules(sensors.__path__)
        if m.name != "definitions"
    )


def build_defs() -> dg.Definitions:
    found: dict[str, dg.SensorDefinition] = {}
    for name in sensor_modules():
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, dg.SensorDefinition):
                found.setdefault(value.name, value)
    return dg.Definitions(sensors=list(found.values()))
