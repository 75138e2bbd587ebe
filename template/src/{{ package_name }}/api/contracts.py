"""The breaking-change gate: compare a version's committed contract with what the code serves.

A change breaks a client when a request that worked is now refused, or a response the client
could read now differs in something it relied on. Concretely, from the old document to the new:

- a path or an operation was removed, or a documented success response;
- a request gained a required parameter or body field, or a request body became required;
- a response field was removed, or is no longer always present;
- a type changed: a request accepts fewer types, a response may hold types it did not before;
- an enum value was removed.

Everything else (new paths, new optional fields and parameters, descriptions, `info`) passes.
The comparison is written for the documents FastAPI produces; it is small on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

Direction = Literal["request", "response"]
Schema = dict[str, Any]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ANY_TYPE = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})


def read_snapshot(path: Path) -> dict[str, Any]:
    """A committed contract."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def write_snapshot(path: Path, document: dict[str, Any]) -> None:
    """Commit-ready JSON: sorted keys, so a later freeze shows only what really changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every change from `old` to `new` that breaks a client of `old`, one sentence each."""
    comparison = _Comparison(old, new)
    comparison.compare_paths()
    return comparison.found


class _Comparison:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = old
        self.new = new
        self.found: list[str] = []

    def compare_paths(self) -> None:
        new_paths = self.new.get("paths", {})
        for path, old_item in self.old.get("paths", {}).items():
            new_item = new_paths.get(path)
            if new_item is None:
                self.found.append(f"{path}: path was removed")
                continue
            for method in HTTP_METHODS:
                if method not in old_item:
                    continue
                where = f"{method.upper()} {path}"
                if method not in new_item:
                    self.found.append(f"{where}: operation was removed")
                    continue
                self.compare_parameters(where, old_item, new_item, method)
                self.compare_request_body(where, old_item[method], new_item[method])
                self.compare_responses(where, old_item[method], new_item[method])

    def compare_parameters(
        self, where: str, old_item: dict[str, Any], new_item: dict[str, Any], method: str
    ) -> None:
        old_parameters = _parameters(self.old, old_item, method)
        for key, new_parameter in _parameters(self.new, new_item, method).items():
            label = f"{key[0]} parameter '{new_parameter['name']}'"
            old_parameter = old_parameters.get(key)
            was_required = old_parameter is not None and old_parameter.get("required", False)
            if new_parameter.get("required", False) and not was_required:
                self.found.append(f"{where}: new required {label}")
            if old_parameter is not None:
                self.compare_schema(
                    f"{where} {label}",
                    "",
                    old_parameter.get("schema", {}),
                    new_parameter.get("schema", {}),
                    "request",
                    set(),
                )

    def compare_request_body(self, where: str, old_op: Schema, new_op: Schema) -> None:
        old_body = _resolve(self.old, old_op.get("requestBody", {}))
        new_body = _resolve(self.new, new_op.get("requestBody", {}))
        if new_body.get("required", False) and not old_body.get("required", False):
            self.found.append(f"{where}: request body became required")
        new_content = new_body.get("content", {})
        for media_type, old_media in old_body.get("content", {}).items():
            if media_type not in new_content:
                self.found.append(f"{where}: request body no longer accepts {media_type}")
                continue
            self.compare_schema(
                f"{where} request body",
                "",
                old_media.get("schema", {}),
                new_content[media_type].get("schema", {}),
                "request",
                set(),
            )

    def compare_responses(self, where: str, old_op: Schema, new_op: Schema) -> None:
        new_responses = new_op.get("responses", {})
        for status, old_response in old_op.get("responses", {}).items():
            if status not in new_responses:
                # Clients code against success responses; a dropped error case breaks nobody.
                if str(status).startswith("2"):
                    self.found.append(f"{where}: response {status} was removed")
                continue
            old_content = _resolve(self.old, old_response).get("content", {})
            new_content = _resolve(self.new, new_responses[status]).get("content", {})
            for media_type, old_media in old_content.items():
                if media_type not in new_content:
                    self.found.append(f"{where}: response {status} is no longer {media_type}")
                    continue
                self.compare_schema(
                    f"{where} response {status}",
                    "",
                    old_media.get("schema", {}),
                    new_content[media_type].get("schema", {}),
                    "response",
                    set(),
                )

    def compare_schema(
        self,
        where: str,
        field: str,
        old_schema: Schema,
        new_schema: Schema,
        direction: Direction,
        seen: set[tuple[str, str]],
    ) -> None:
        """Compare two schemas of one place; `seen` stops recursive models."""
        refs = (old_schema.get("$ref", ""), new_schema.get("$ref", ""))
        if refs != ("", ""):
            if refs in seen:
                return
            seen = seen | {refs}
        old = _resolve(self.old, old_schema)
        new = _resolve(self.new, new_schema)
        name = f"field '{field}'" if field else "the schema"

        old_types, new_types = _types(self.old, old), _types(self.new, new)
        # A request may accept more types than before, a response may only send fewer.
        if direction == "request":
            still_accepted = _covers(new_types, old_types)
        else:
            still_accepted = _covers(old_types, new_types)
        if not still_accepted:
            self.found.append(
                f"{where}: type of {name} changed from {_names(old_types)} to {_names(new_types)}"
            )

        old_enum, new_enum = _enum(self.old, old), _enum(self.new, new)
        if old_enum is not None and new_enum is not None:
            for value in sorted(old_enum.keys() - new_enum.keys()):
                self.found.append(f"{where}: enum value {old_enum[value]!r} of {name} was removed")

        self.compare_properties(where, field, old, new, direction, seen)

        old_items, new_items = _items(self.old, old), _items(self.new, new)
        if old_items is not None and new_items is not None:
            self.compare_schema(where, f"{field}[]", old_items, new_items, direction, seen)

    def compare_properties(
        self,
        where: str,
        field: str,
        old: Schema,
        new: Schema,
        direction: Direction,
        seen: set[tuple[str, str]],
    ) -> None:
        old_properties, old_required = _properties(self.old, old)
        new_properties, new_required = _properties(self.new, new)
        prefix = f"{field}." if field else ""
        if direction == "request":
            for name in sorted(new_required - old_required):
                self.found.append(f"{where}: new required field '{prefix}{name}'")
        for name, old_property in old_properties.items():
            path = f"{prefix}{name}"
            if name not in new_properties:
                if direction == "response":
                    self.found.append(f"{where}: field '{path}' was removed")
                continue
            if direction == "response" and name in old_required and name not in new_required:
                self.found.append(f"{where}: field '{path}' is no longer always present")
            self.compare_schema(where, path, old_property, new_properties[name], direction, seen)


def _resolve(document: dict[str, Any], schema: Schema) -> Schema:
    """Follow local `$ref`s (`#/components/...`) to the schema they name."""
    hops = 0
    while "$ref" in schema and hops < 32:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema = target
        hops += 1
    return schema


def _variants(document: dict[str, Any], schema: Schema) -> list[Schema]:
    """The schema and, flattened, the members of its anyOf / oneOf / allOf."""
    variants = [schema]
    for keyword in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(keyword, []):
            variants.extend(_variants(document, _resolve(document, member)))
    return variants


def _types(document: dict[str, Any], schema: Schema) -> frozenset[str]:
    """The JSON types a schema allows; every type when it does not say."""
    found: set[str] = set()
    for variant in _variants(document, schema):
        declared = variant.get("type")
        if isinstance(declared, str):
            found.add(declared)
        elif isinstance(declared, list):
            found.update(declared)
        elif "const" in variant or "enum" in variant:
            values = [variant["const"]] if "const" in variant else variant["enum"]
            found.update(_json_type(value) for value in values)
    return frozenset(found) if found else ANY_TYPE


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _covers(wider: frozenset[str], narrower: frozenset[str]) -> bool:
    """Whether every type in `narrower` is allowed by `wider` (a number accepts integers)."""
    return all(kind in wider or (kind == "integer" and "number" in wider) for kind in narrower)


def _names(types: frozenset[str]) -> str:
    return "any" if types == ANY_TYPE else "|".join(sorted(types))


def _enum(document: dict[str, Any], schema: Schema) -> dict[str, Any] | None:
    """The enum values a schema allows, keyed by their JSON text; None when not an enum."""
    values: dict[str, Any] = {}
    constrained = False
    for variant in _variants(document, schema):
        if "enum" in variant or "const" in variant:
            constrained = True
            members = [variant["const"]] if "const" in variant else variant["enum"]
            values.update({json.dumps(value, sort_keys=True): value for value in members})
    return values if constrained else None


def _properties(document: dict[str, Any], schema: Schema) -> tuple[dict[str, Schema], set[str]]:
    """The object properties of a schema (across its variants) and the required ones."""
    properties: dict[str, Schema] = {}
    required: set[str] = set()
    for variant in _variants(document, schema):
        properties.update(variant.get("properties", {}))
        required.update(variant.get("required", []))
    return properties, required


def _items(document: dict[str, Any], schema: Schema) -> Schema | None:
    """The item schema of an array (also of a nullable one), or None."""
    for variant in _variants(document, schema):
        if "items" in variant:
            items: Schema = variant["items"]
            return items
    return None


def _parameters(
    document: dict[str, Any], item: dict[str, Any], method: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """An operation's parameters (with those of its path), keyed by where and name."""
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*item.get("parameters", []), *item[method].get("parameters", [])]:
        parameter = _resolve(document, raw)
        name = parameter["name"]
        # Header names are case-insensitive: `Idempotency-Key` and `idempotency-key` are one.
        key = name.lower() if parameter["in"] == "header" else name
        parameters[(parameter["in"], key)] = parameter
    return parameters
