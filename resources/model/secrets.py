"""One way to hide credentials in anything Weir shows: logs, metadata, errors, dry-run lines and
command lines. Plain functions, no Dagster: resources, kernels and sensors all use them.

What is hidden (replaced by ``***``):
- the password of a URL or DSN (``scheme://user:pass@host`` keeps ``user``) and the whole path of a
  Slack incoming webhook;
- ``password=...``-style parameters of libpq DSNs, URL queries and Spark confs
  (``password=``, ``passwd=``, ``secret=``, ``token=``, ``*.secret.key=``, ``api_key=`` ...);
- the value after a secret-looking flag (``--password X``, ``--token=X``, ``-api-key X``);
- every value of a secret variable that is set (``SECRET_VARIABLES`` or any variable whose name
  looks secret), wherever it appears.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence

MASK = "***"
SECRET_NAME = re.compile(
    r"(passw(or)?d|passwd|pwd|secret|token|api[-_.]?key|credential|private[-_.]?key|access[-_.]?key)",
    re.IGNORECASE,
)
# Variables whose values are credentials, or hold them (DSNs, URLs with a password or secret path).
SECRET_VARIABLES = frozenset(
    {
        "SMTP_PASSWORD",
        "SLACK_WEBHOOK_URL",
        "STREAMSETS_CRED_ID",
        "STREAMSETS_CRED_TOKEN",
        "JOB_TEMPLATE_PG_DSN",
        "JOB_TEMPLATE_API_TOKEN",
        "WAREHOUSE_PG_DSN",
        "TELEMETRY_DIMS_PG_DSN",
        "MONGO_URL",
        "DAGSTER_PG_PASSWORD",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    }
)
_URL_PASSWORD = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<secret>[^@\s/]+)(?=@)"
)
_SLACK_PATH = re.compile(r"(?P<head>https://hooks\.slack\.com/)(?P<secret>[^\s\"'<>]+)")
_KEY_VALUE = re.compile(
    r"(?P<head>(?:^|[\s?&;,\"'(]|--?)(?:[A-Za-z0-9_.-]*?)"
    r"(?:passw(?:or)?d|passwd|pwd|secret(?:[._-]?(?:access[._-]?)?key)?|token|api[-_.]?key|"
    r"access[._-]?key|credential)s?\s*[=:]\s*)(?P<secret>\"[^\"]*\"|'[^']*'|[^\s&;,\"')]+)",
    re.IGNORECASE,
)
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of the secret variables that are set (and of any variable named like a secret)."""
    env = os.environ if env is None else env
    return [
        value
        for name, value in env.items()
        if (name in SECRET_VARIABLES or SECRET_NAME.search(name))
        and len(value) >= _MIN_SECRET_LENGTH
    ]


def flag_values(args: Sequence[str]) -> list[str]:
    """Values of secret-looking flags: ``--token X``, ``--api-key=X``, ``-password X``."""
    found = []
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if arg.startswith("-") and SECRET_NAME.search(name):
            if eq and value:
                found.append(value)
            elif not eq and i + 1 < len(args):
                found.append(args[i + 1])
    return [s for s in found if s]


def _hide(match: re.Match[str]) -> str:
    return match["head"] + MASK


def mask_text(text: str, secrets: Iterable[str] = (), env: Mapping[str, str] | None = None) -> str:
    """``text`` with every credential hidden: URL/DSN passwords, secret parameters, the given
    ``secrets`` and the values of the secret variables set in ``env`` (default: the process's)."""
    for secret in sorted({*secrets, *secret_values(env)}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    text = _SLACK_PATH.sub(_hide, text)
    text = _URL_PASSWORD.sub(_hide, text)
    return _KEY_VALUE.sub(_hide, text)


def mask_args(args: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """A command line as it may be shown: secret flags' values and every credential hidden."""
    secrets = flag_values(args)
    return [mask_text(arg, secrets, env) for arg in args]


def looks_secret(key: str, value: object) -> bool:
    """Whether a configuration entry holds a credential: a secret-looking name with a value, or
    a value that carries one (a URL or DSN with a password, a ``password=`` parameter)."""
    if SECRET_NAME.search(key) and value not in (None, "", [], {}):
        return True
    return isinstance(value, str) and mask_text(value, env={}) != value
