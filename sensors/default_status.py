"""Which sensors start running, by environment: in ``prod`` (``PLATFORM_ENV=prod``) every sensor
runs from the start; on a laptop (the embedded default) a sensor that needs a service the machine
does not have configured starts stopped, rather than ticking every minute only to skip. Read when
the code location loads; the UI's switch still turns any sensor on or off."""

import os
from collections.abc import Mapping

import dagster as dg


def running_unless_absent(
    *needed: str, env: Mapping[str, str] = os.environ
) -> dg.DefaultSensorStatus:
    """RUNNING in prod; elsewhere RUNNING only when every variable in ``needed`` (a service's
    address, or ``VAR=value``) is set."""
    if env.get("PLATFORM_ENV", "local") == "prod":
        return dg.DefaultSensorStatus.RUNNING
    for requirement in needed:
        name, _, value = requirement.partition("=")
        if not env.get(name) or (value and env.get(name) != value):
            return dg.DefaultSensorStatus.STOPPED
    return dg.DefaultSensorStatus.RUNNING
