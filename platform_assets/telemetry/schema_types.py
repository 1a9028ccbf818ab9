"""The shipped JSON Schemas compiled to msgspec types: an event is checked while msgspec decodes its
text, in native code, into Structs rather than dicts.

jsonschema-rs is exact, but it checks Python objects: each batch had to be parsed into dicts and
lists, checked, and its events serialized again, and that was most of an hour step's CPU. A compiled
type is a fast *accept*: what it decodes, the schema accepts. What it refuses goes on to orjson and
jsonschema-rs, which decide and word the reason, so a compiled type may be stricter than its schema
(an integral ``1.0`` for an ``integer``, an undeclared member) but never looser.

Only the subset of JSON Schema the shipped schemas use compiles: ``type`` (one or a list),
``properties``, ``required``, ``additionalProperties`` (true or false), ``items`` (one schema),
``minLength`` / ``maxLength``, ``minimum`` / ``maximum``, and ``enum`` / ``const`` of strings;
annotations (``title``, ``description``, ``$schema``) are ignored. Anything else raises
``UnsupportedSchema``: that eid then has no compiled type and all its events take the exact path,
which stays correct, only slower.

Nothing is skipped: an object's undeclared member is refused (``forbid_unknown_fields``) and an
unconstrained value is decoded whole (``Any``). So an accepted text was read entirely by msgspec,
which refuses what orjson refuses (invalid UTF-8, a number beyond a double, nesting deeper than
Python's recursion limit, below orjson's 1024 levels): an accepted event's text can be stored as
sent and read back by orjson. (Skipping was ~20 % cheaper, but
proving the skipped bytes readable cost more than it saved.)
"""

import keyword
from typing import Annotated, Any, Literal, Union

import msgspec

ANNOTATIONS = {"title", "description", "$schema", "$comment", "examples", "default"}
SUPPORTED = {
    "additionalProperties",  # true or false only: the compiled types refuse undeclared members
    "type",
    "properties",
    "required",
    "items",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "enum",
    "const",
}


class UnsupportedSchema(ValueError):
    """A schema uses JSON Schema beyond the subset ``compile_type`` turns into msgspec types."""


AnyObject = dict[str, Any]  # an object schema without properties: any members, decoded whole


def _string(schema: dict[str, Any]) -> Any:
    bounds = {
        key: schema[name]
        for name, key in (("minLength", "min_length"), ("maxLength", "max_length"))
        if name in schema
    }
    return Annotated[str, msgspec.Meta(**bounds)] if bounds else str


def _number(schema: dict[str, Any], integral_only: bool) -> Any:
    bounds = {
        key: schema[name] for name, key in (("minimum", "ge"), ("maximum", "le")) if name in schema
    }
    kinds = [int] if integral_only else [int, float]  # int first: an integral ets stays an int
    constrained = [Annotated[kind, msgspec.Meta(**bounds)] if bounds else kind for kind in kinds]
    return Union[tuple(constrained)] if len(constrained) > 1 else constrained[0]  # noqa: UP007 - Union of runtime-built types


def _field_name(name: str, taken: set[str]) -> str:
    """A Python attribute for a JSON member (``@timestamp`` -> ``at_timestamp``); the JSON name is
    kept by ``rename``."""
    attribute = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "_"
    if not attribute.isidentifier() or keyword.iskeyword(attribute):
        attribute = f"m_{attribute}"
    while attribute in taken:
        attribute += "_"
    return attribute


def _object(schema: dict[str, Any], name: str, tag: tuple[str, str] | None = None) -> Any:
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, dict) or not isinstance(required, list):
        raise UnsupportedSchema(f"{name}: properties must be an object and required a list")
    if not properties and not required and tag is None and schema.get("additionalProperties", True):
        return AnyObject
    fields: list[tuple[Any, ...]] = []
    rename: dict[str, str] = {}
    taken: set[str] = set()
    members = [*properties, *(member for member in required if member not in properties)]
    for member in members:
        if tag is not None and member == tag[0]:
            continue  # the tag member is the union's to check
        attribute = _field_name(member, taken)
        taken.add(attribute)
        if attribute != member:
            rename[attribute] = member
        kind = compile_type(properties[member], f"{name}.{member}") if member in properties else Any
        fields.append(
            (attribute, kind)
            if member in required
            else (attribute, Union[kind, msgspec.UnsetType], msgspec.UNSET)  # noqa: UP007 - Union of runtime-built types
        )
    fields.sort(key=lambda f: len(f) > 2)  # msgspec: fields without a default come first
    options: dict[str, Any] = {"tag_field": tag[0], "tag": tag[1]} if tag else {}
    return msgspec.defstruct(
        _field_name(name, set()),
        fields,
        rename=rename or None,
        gc=False,
        forbid_unknown_fields=True,
        **options,
    )


def schema_parts(schema: Any, name: str) -> tuple[list[str] | None, Any] | None:
    """What both compilers (this module's and ``native_reader``'s) start from: None for a schema
    that takes any value; else (its string choices from ``enum`` / ``const``, or None; its ``type``,
    None when it has choices and no type). Raises
    ``UnsupportedSchema`` outside the compiled subset."""
    if schema is True or schema == {}:
        return None
    if not isinstance(schema, dict):
        raise UnsupportedSchema(f"{name}: a schema must be an object, not {schema!r:.40}")
    unknown = set(schema) - SUPPORTED - ANNOTATIONS
    if unknown:
        raise UnsupportedSchema(f"{name}: {sorted(unknown)} not compiled")
    if not isinstance(schema.get("additionalProperties", True), bool):
        raise UnsupportedSchema(f"{name}: only a true or false additionalProperties compiles")
    choices = schema.get("enum", [schema["const"]] if "const" in schema else None)
    if choices is not None and (
        not choices
        or not all(isinstance(c, str) for c in choices)
        or schema.get("type", "string") != "string"
    ):
        raise UnsupportedSchema(f"{name}: only enum / const of strings compile")
    kinds = schema.get("type")
    if choices is None and kinds is None:
        if set(schema) - ANNOTATIONS:
            raise UnsupportedSchema(f"{name}: keywords without a type")
        return None
    return choices, kinds


def compile_type(schema: Any, name: str = "value", tag: tuple[str, str] | None = None) -> Any:
    """The msgspec type of a (sub)schema. ``tag`` = (member, value) makes an object schema a tagged
    Struct (how a union of event types is told apart by ``eid``)."""
    parts = schema_parts(schema, name)
    if parts is None:
        return Any
    choices, kinds = parts
    if choices is not None:
        return Literal[tuple(choices)]
    if isinstance(kinds, list):
        return Union[tuple(compile_type({**schema, "type": kind}, name) for kind in kinds)]  # noqa: UP007 - Union of runtime-built types
    if kinds == "object":
        return _object(schema, name, tag)
    if tag is not None:
        raise UnsupportedSchema(f"{name}: a tagged schema must be an object")
    if kinds == "array":
        items = schema.get("items", True)
        if isinstance(items, list):
            raise UnsupportedSchema(f"{name}: tuple items not compiled")
        return list[compile_type(items, f"{name}.item")]  # type: ignore[misc]  # runtime item type
    simple = {
        "string": lambda: _string(schema),
        "number": lambda: _number(schema, False),
        "integer": lambda: _number(schema, True),
        "boolean": lambda: bool,
        "null": lambda: None,
    }
    if kinds not in simple:
        raise UnsupportedSchema(f"{name}: type {kinds!r:.40}")
    return simple[kinds]()


def event_types(schemas: dict[str, dict[str, Any]]) -> tuple[dict[str, type], dict[str, str]]:
    """eid -> its compiled event type (a Struct tagged by ``eid``), and eid -> why it has none."""
    compiled, refused = {}, {}
    for eid, schema in schemas.items():
        try:
            compiled[eid] = compile_type(schema, eid, tag=("eid", eid))
            msgspec.json.Decoder(compiled[eid])  # msgspec refuses some unions only here
        except (UnsupportedSchema, TypeError) as exc:
            compiled.pop(eid, None)
            refused[eid] = str(exc)
    return compiled, refused


def event_decoder(types: dict[str, type]) -> msgspec.json.Decoder | None:
    """One decoder for every compiled eid (the union is told apart by ``eid``); None if none
    compiled."""
    if not types:
        return None
    kinds = tuple(types.values())
    return msgspec.json.Decoder(Union[kinds] if len(kinds) > 1 else kinds[0])  # noqa: UP007 - Union of runtime-built types
