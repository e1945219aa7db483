"""Turn JSON Schema errors into located, readable problems that never echo a secret value.

A subschema may carry `errorMessage` (the ajv-errors convention): that text replaces the
generic wording for its failures. Unknown fields are reported one by one at their key, with
a "did you mean" when a known field is close.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.exceptions import Unresolvable

from reconciler.gitops.manifests.source import JsonPath, YamlValue

if TYPE_CHECKING:
    # referencing exports Resolver only from its private module; it is used for types alone.
    from referencing._core import Resolver

# Values under these keys may be secrets (or SOPS metadata): never quoted in a message.
SENSITIVE_KEYS = frozenset({"data", "password", "sops", "secret_id", "token", "jwt"})
_CLOSED = ("additionalProperties", "unevaluatedProperties")
_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@dataclass(frozen=True)
class SchemaProblem:
    """A schema violation at `json_path`; `at_key` locates it at the key rather than the value."""

    json_path: JsonPath
    message: str
    at_key: bool = False


def is_sensitive(path: JsonPath) -> bool:
    """True when a value at `path` may be secret and must not appear in a message."""
    return any(isinstance(part, str) and part in SENSITIVE_KEYS for part in path)


def schema_problems(
    validator: Draft202012Validator, registry: Registry, instance: YamlValue
) -> list[SchemaProblem]:
    """Every violation of `validator`'s schema by `instance`, deduplicated, in a stable order."""
    base = str(validator.schema.get("$id", ""))
    resolver = registry.resolver(base_uri=base)
    found: dict[tuple[JsonPath, str], SchemaProblem] = {}
    for error in validator.iter_errors(instance):
        for problem in _explain(error, resolver):
            found.setdefault((problem.json_path, problem.message), problem)
    return sorted(found.values(), key=lambda p: (len(p.json_path), [str(x) for x in p.json_path]))


def _explain(error: ValidationError, resolver: Resolver[object]) -> Iterator[SchemaProblem]:
    path: JsonPath = tuple(error.absolute_path)
    if error.validator in _CLOSED:
        yield from _unknown_fields(error, path, resolver)
        return
    if error.validator in ("required", "dependentRequired") and not _custom(error):
        yield from _missing_fields(error, path)
        return
    custom = _custom(error)
    if custom is None and error.validator in ("anyOf", "oneOf") and error.context:
        yield from _explain(_best(error), resolver)
        return
    message = custom or _generic(error)
    # Problems about a whole mapping read best at its key ("spec:"), not at its first child.
    whole = isinstance(error.instance, Mapping)
    yield SchemaProblem(path, message + _got(error, path), at_key=whole)


def _custom(error: ValidationError) -> str | None:
    schema = error.schema
    if not isinstance(schema, Mapping) or error.validator in _CLOSED:
        return None
    if error.validator == "type" and error.validator_value in ("object", "array"):
        return None
    message = schema.get("errorMessage")
    return message if isinstance(message, str) else None


def _best(error: ValidationError) -> ValidationError:
    chosen = best_match(error.context or [])
    return chosen if chosen is not None else error


def _missing_fields(error: ValidationError, path: JsonPath) -> Iterator[SchemaProblem]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    if error.validator == "required":
        wanted = list(error.validator_value)
    else:
        wanted = [n for k, v in error.validator_value.items() if k in instance for n in v]
    for name in wanted:
        if name not in instance:
            yield SchemaProblem(path, f"missing required field '{name}'", at_key=True)


def _unknown_fields(
    error: ValidationError, path: JsonPath, resolver: Resolver[object]
) -> Iterator[SchemaProblem]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    known = _known_properties(error.schema, resolver)
    for key in instance:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        yield SchemaProblem((*path, key), f"unknown field{hint}", at_key=True)


def _known_properties(schema: object, resolver: Resolver[object]) -> set[str]:
    """Property names a schema declares, through `$ref`, `allOf` and `if`/`then` branches."""
    if not isinstance(schema, Mapping):
        return set()
    names = set(schema.get("properties", {}))
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            resolved = resolver.lookup(ref)
        except Unresolvable:
            resolved = None
        if resolved is not None:
            names |= _known_properties(resolved.contents, resolved.resolver)
    for branch in (*schema.get("allOf", ()), schema.get("then"), schema.get("else")):
        names |= _known_properties(branch, resolver)
    return names


def _generic(error: ValidationError) -> str:
    rule, value = error.validator, error.validator_value
    simple = {
        "enum": lambda: "must be one of " + ", ".join(str(v) for v in value),
        "const": lambda: f"must be {value}",
        "type": lambda: "must be " + _type_name(value),
        "minItems": lambda: f"must have at least {value} item{'s' if value != 1 else ''}",
        "minLength": lambda: (
            "must not be empty" if value == 1 else f"must be at least {value} characters"
        ),
        "maxLength": lambda: f"must be at most {value} characters",
        "minProperties": lambda: "must not be empty",
        "uniqueItems": lambda: "must not repeat an item",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "pattern": lambda: f"must match {value}",
        "oneOf": lambda: "matches more than one alternative",
        "not": lambda: "is not allowed here",
    }
    render = simple.get(str(rule))
    return render() if render else f"is invalid ({rule})"


def _type_name(value: object) -> str:
    if isinstance(value, list):
        return " or ".join(_TYPE_NAMES.get(str(v), str(v)) for v in value)
    return _TYPE_NAMES.get(str(value), str(value))


def _got(error: ValidationError, path: JsonPath) -> str:
    """A `(got ...)` suffix for short scalars in non-sensitive places; else nothing."""
    instance = error.instance
    if is_sensitive(path):
        return ""
    if isinstance(instance, bool | int | float) or (
        isinstance(instance, str) and len(instance) <= 60 and "\n" not in instance
    ):
        return f" (got {instance!r})"
    if error.validator == "type" and isinstance(instance, list | dict):
        return " (got a list)" if isinstance(instance, list) else " (got a mapping)"
    return ""
