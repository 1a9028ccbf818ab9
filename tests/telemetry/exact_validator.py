"""Validators that take fewer of the fast paths: what the native reader and the compiled schema
types are tested against (orjson + jsonschema-rs alone), and the compiled types alone."""

from platform_assets.telemetry.validation import EventValidator


class ExactOnly(EventValidator):
    """The exact path alone: no event is offered to the native reader or a compiled type."""

    def valid_event(self, text: bytes) -> None:
        return None

    @property
    def row_reader(self) -> None:
        return None


class TypedOnly(EventValidator):
    """The compiled msgspec types, then the exact path: no event is offered to the native reader
    (as on a machine where the extension could not be built)."""

    @property
    def row_reader(self) -> None:
        return None
