"""Reading typed values out of an INI file, with errors that name the file, section and key.

ARGO's monitoring config uses ``{{name}}`` templates inside values (for example an HDFS path built
from the namenode and user); ``render`` fills them and refuses unknown names. No Dagster import.
"""

import configparser
import re
from collections.abc import Mapping
from pathlib import Path

TEMPLATE = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


class ConfError(ValueError):
    """The monitoring config is missing, unreadable or holds a wrong value."""


class Ini:
    """One parsed INI file. Keys keep their case-insensitive INI semantics; sections keep their
    case. Every key a reader asks for is remembered, so ``unread`` lists what nothing used."""

    def __init__(self, path: Path):
        self.path = path
        self.consulted: set[tuple[str, str]] = set()
        self.parser = configparser.ConfigParser(interpolation=None, delimiters=("=", ":"))
        # the same file with keys as written: where a key is a name (a report), its case matters
        self.cased = configparser.ConfigParser(interpolation=None, delimiters=("=", ":"))
        self.cased.optionxform = str  # type: ignore[assignment, method-assign]
        try:
            with path.open(encoding="utf-8") as handle:
                self.parser.read_file(handle)
            with path.open(encoding="utf-8") as handle:
                self.cased.read_file(handle)
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfError(
                f"{path}: not a readable INI file ({str(exc).splitlines()[0]})"
            ) from None

    def error(self, section: str, key: str | None, problem: str) -> ConfError:
        where = f"[{section}] {key}" if key else f"[{section}]"
        return ConfError(f"{self.path}: {where}: {problem}")

    def _consult(self, section: str, key: str) -> None:
        self.consulted.add((section, key.lower()))

    def has(self, section: str, key: str | None = None) -> bool:
        if not self.parser.has_section(section):
            return False
        if key is not None:
            self._consult(section, key)
        return key is None or bool(self.parser.get(section, key, fallback="").strip())

    def unread(self, ignore_sections: tuple[str, ...] = ()) -> list[str]:
        """``[section] key`` of every key no reader asked for (sections under ``ignore_sections``
        prefixes left out)."""
        return [
            f"[{section}] {key}"
            for section in self.parser.sections()
            if not (ignore_sections and section.startswith(ignore_sections))
            for key in self.parser[section]
            if (section, key) not in self.consulted
        ]

    def first_section(self, *names: str) -> str:
        for name in names:
            if self.parser.has_section(name):
                return name
        raise ConfError(f"{self.path}: missing section {' or '.join(f'[{n}]' for n in names)}")

    def text(self, section: str, key: str, default: str | None = None) -> str:
        self._consult(section, key)
        if not self.parser.has_section(section):
            if default is not None:
                return default
            raise self.error(section, None, "missing section")
        value = self.parser.get(section, key, fallback="").strip()
        if not value:
            if default is not None:
                return default
            raise self.error(section, key, "missing or empty")
        return value

    def optional(self, section: str, key: str) -> str | None:
        self._consult(section, key)
        value = (
            self.parser.get(section, key, fallback="").strip()
            if self.parser.has_section(section)
            else ""
        )
        return value or None

    def integer(self, section: str, key: str, default: int | None = None, minimum: int = 0) -> int:
        raw = self.text(section, key, None if default is None else str(default))
        try:
            value = int(raw)
        except ValueError:
            raise self.error(section, key, f"expected a whole number, got {raw!r}") from None
        if value < minimum:
            raise self.error(section, key, f"must be >= {minimum}, got {value}")
        return value

    def boolean(self, section: str, key: str, default: bool) -> bool:
        raw = self.text(section, key, str(default)).lower()
        if raw in {"true", "yes", "on", "1"}:
            return True
        if raw in {"false", "no", "off", "0"}:
            return False
        raise self.error(section, key, f"expected true or false, got {raw!r}")

    def keys_as_written(self, section: str) -> list[str]:
        """The section's keys in the file's own case (INI lookups ignore case)."""
        return list(self.cased[section]) if self.cased.has_section(section) else []

    def sections(self) -> list[str]:
        return self.parser.sections()

    def render(
        self, section: str, key: str, values: Mapping[str, str], default: str | None = None
    ) -> str:
        """The value with its ``{{name}}`` templates filled from ``values``."""
        template = self.text(section, key, default)

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise self.error(
                    section,
                    key,
                    f"unknown template name {{{{{name}}}}} (known: {', '.join(sorted(values))})",
                )
            return values[name]

        return TEMPLATE.sub(fill, template)
