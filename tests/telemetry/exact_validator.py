"""A validator that takes the exact path alone (orjson + jsonschema-rs): what the compiled schema
types are tested against."""

from platform_assets.telemetry.validation import EventValidator


class ExactOnly(EventValidator):
    """The exact path alone: no event is offered to a compiled type."""

    def valid_event(self, text: bytes) -> None:
        return None
