"""The shipped schemas compiled for the native event reader (``_event_reader.c``): an event's JSON
text checked against its eid's schema and its hour row read in one pass over the bytes, with no
Python object built but the row's values.

Why: decoding each event into msgspec Structs (``schema_types``) and freeing them again was a third
of an hour step's CPU, with the Python glue around it another sixth. The reader is a fast *accept*
like the compiled types: what it accepts, the schema accepts and orjson reads; anything it does not
decide cheaply (see the C file's header) it refuses, and the event goes on to the msgspec types and,
failing those, to orjson + jsonschema-rs. Unlike the msgspec types it takes members a schema does
not declare where the schema allows them (no ``additionalProperties: false``), since it reads every
byte anyway.

The program is a flat list of nodes, one per (sub)schema, in the subset of JSON Schema that
``schema_types`` compiles (the same keywords; anything else raises ``UnsupportedSchema`` and that
eid is left to the other paths). The members the hour row reads (``ROW_SLOTS``) are marked on the
properties along their path from the event's root. The extension is built by ``pip install``
(``pyproject.toml``'s ext-modules); where it could not be, ``native_reader`` is None and every event
takes the msgspec path (a warning says so).
"""

import logging
import math
from collections.abc import Callable
from typing import Any

from platform_assets.telemetry.schema_types import UnsupportedSchema, schema_parts

try:
    from platform_assets.telemetry._event_reader import Reader
except ImportError as exc:  # pragma: no cover - a build without a C compiler
    Reader = None
    logging.getLogger(__name__).warning(
        f"native event reader not built ({exc}): telemetry events take the msgspec path"
    )

TYPE_BITS = {
    "string": 1,
    "number": 2,
    "integer": 4,
    "boolean": 8,
    "null": 16,
    "object": 32,
    "array": 64,
}
# the hour row's members read by the reader, in its slot order (see row_of in the C file)
ROW_SLOTS = (
    ("mid",),
    ("ets",),
    ("actor", "id"),
    ("actor", "type"),
    ("context", "channel"),
    ("context", "pdata", "id"),
    ("context", "sid"),
    ("context", "did"),
    ("object", "id"),
)
ANY = -1  # a value any JSON takes
MAX_PROPERTIES = 64
EXACT_BOUND = 2**53  # bounds beyond a double's exact integers are not compiled

# (event text: bytes or a buffer, syncts, stamp) ->
# (hour row, stamped text) when accepted, else None
ReadRow = Callable[[Any, int, bytes], tuple[tuple, bytes] | None]


class _Program:
    """Nodes as the C reader takes them: (types, min_len, max_len, minimum, maximum, enum,
    properties ((name, node, required, slot), ...), items, closed); ``closed``: 1 when the schema
    says ``additionalProperties: false`` (an undeclared member is refused)."""

    def __init__(self) -> None:
        self.nodes: list[tuple] = []

    def node(self, schema: Any, name: str, path: tuple | None) -> int:
        """The node of a (sub)schema; ``path`` is its place on the row's paths from the event's root
        (None off them)."""
        parts = schema_parts(schema, name)
        if parts is None:
            return ANY
        choices, kinds = parts
        kinds = "string" if choices is not None else kinds
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not kinds or any(kind not in TYPE_BITS for kind in kinds):
            raise UnsupportedSchema(f"{name}: type {kinds!r:.40}")
        index = len(self.nodes)
        self.nodes.append(())  # reserved: children come after their parent
        items = schema.get("items", True)
        if isinstance(items, list):
            raise UnsupportedSchema(f"{name}: tuple items not compiled")
        self.nodes[index] = (
            sum(TYPE_BITS[kind] for kind in set(kinds)),
            _length(schema, "minLength", name),
            _length(schema, "maxLength", name),
            _bound(schema, "minimum", name),
            _bound(schema, "maximum", name),
            tuple(choice.encode() for choice in choices or ()),
            self._properties(schema, name, path),
            self.node(items, f"{name}.item", None),
            int(schema.get("additionalProperties", True) is False),
        )
        return index

    def _properties(self, schema: dict[str, Any], name: str, path: tuple | None) -> tuple:
        properties, required = schema.get("properties", {}), schema.get("required", [])
        if not isinstance(properties, dict) or not isinstance(required, list):
            raise UnsupportedSchema(f"{name}: properties must be an object and required a list")
        members = [*properties, *(member for member in required if member not in properties)]
        if len(members) > MAX_PROPERTIES:
            raise UnsupportedSchema(f"{name}: more than {MAX_PROPERTIES} properties")
        out = []
        for member in members:
            inner = None if path is None else (*path, member)
            node = (
                self.node(properties[member], f"{name}.{member}", inner)
                if member in properties
                else ANY
            )
            slot = ROW_SLOTS.index(inner) if inner in ROW_SLOTS else -1
            out.append((member.encode(), node, member in required, slot))
        return tuple(out)


def _length(schema: dict[str, Any], keyword: str, name: str) -> int:
    value = schema.get(keyword)
    if value is None:
        return -1
    if type(value) is not int or value < 0:
        raise UnsupportedSchema(f"{name}: {keyword} must be a non-negative integer")
    return value


def _bound(schema: dict[str, Any], keyword: str, name: str) -> float | None:
    value = schema.get(keyword)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or abs(value) > EXACT_BOUND
    ):
        raise UnsupportedSchema(f"{name}: {keyword} {value!r:.40} not compiled")
    return float(value)


def compile_program(
    schemas: dict[str, dict[str, Any]],
) -> tuple[list[tuple], list[tuple[str, int]], dict[str, str]]:
    """(nodes, roots (eid, node), eid -> why it did not compile) of the event schemas."""
    program, roots, refused = _Program(), [], {}
    for eid, schema in sorted(schemas.items()):
        before = len(program.nodes)
        try:
            roots.append((eid, program.node(schema, eid, ())))
        except UnsupportedSchema as exc:
            del program.nodes[before:]
            refused[eid] = str(exc)
    return program.nodes, roots, refused


def native_reader(schemas: dict[str, dict[str, Any]], forbidden: tuple[str, ...]) -> ReadRow | None:
    """``read(text, syncts, stamp)``: (the hour row, the text with ``stamp`` spliced before its
    closing brace) of an event the schemas accept, else None. ``forbidden``: top-level members an
    accepted event may not carry. None when the extension is not built or no schema compiled."""
    if Reader is None:
        return None
    nodes, roots, _ = compile_program(schemas)
    if not roots:
        return None
    return Reader(nodes, roots, tuple(name.encode() for name in forbidden)).read
