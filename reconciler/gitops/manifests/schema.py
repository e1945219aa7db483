"""The JSON Schemas in `schemas/`: located, loaded once, linked through a `referencing` registry.

Kind schemas are found by their `properties.kind.const`, so adding a kind is adding a file.
The schemas are not package data (the build config does not ship them), so they are read
from the source checkout; `SEALKEEP_SCHEMAS_DIR` points elsewhere (an installed copy).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from reconciler.vocabulary.errors import SealkeepError

if TYPE_CHECKING:
    # referencing exports Resolver only from its private module; it is used for types alone.
    from referencing._core import Resolver

SCHEMAS_ENV = "SEALKEEP_SCHEMAS_DIR"
CONFIG_SCHEMA = "sealkeep.schema.json"

SchemaDict = Mapping[str, object]


class SchemaDirNotFound(SealkeepError, RuntimeError):
    """The schemas folder could not be found; the message lists every place tried."""


def schemas_dir() -> Path:
    """Where the schemas live: `$SEALKEEP_SCHEMAS_DIR`, else `schemas/` of the source tree."""
    tried: list[Path] = []
    override = os.environ.get(SCHEMAS_ENV)
    if override:
        tried.append(Path(override))
    tried.append(Path(__file__).resolve().parents[3] / "schemas")
    for candidate in tried:
        if (candidate / CONFIG_SCHEMA).is_file():
            return candidate
    places = ", ".join(str(p) for p in tried)
    raise SchemaDirNotFound(
        f"manifest schemas not found (looked in {places}); set {SCHEMAS_ENV} to the folder "
        "holding sealkeep's *.schema.json files"
    )


@dataclass(frozen=True)
class SchemaSet:
    """Validators for every manifest kind and for the repo config, sharing one registry."""

    directory: Path
    registry: Registry
    kinds: Mapping[str, Draft202012Validator]
    config: Draft202012Validator

    def validator_for(self, kind: str) -> Draft202012Validator | None:
        """The validator of `kind`, or None for a kind no schema declares."""
        return self.kinds.get(kind)

    def kind_names(self) -> tuple[str, ...]:
        """Every kind with a schema, sorted."""
        return tuple(sorted(self.kinds))


def _read(path: Path) -> dict[str, object]:
    loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: a schema must be a JSON object")
    return loaded


def _kind_of(schema: Mapping[str, object]) -> str | None:
    """The manifest kind a schema validates; None for other schemas (common, config, plan)."""
    properties = schema.get("properties")
    if not isinstance(properties, dict) or "apiVersion" not in properties:
        return None
    kind = properties.get("kind")
    if isinstance(kind, dict) and isinstance(kind.get("const"), str):
        return str(kind["const"])
    return None


def _inline(node: object, resolver: Resolver[object]) -> object:
    """`node` with every `$ref` replaced by its target (the schemas have no recursion).

    Validation then never looks a reference up, which makes it several times faster; a `$ref`
    with sibling keywords becomes `allOf` so both still apply.
    """
    if isinstance(node, list):
        return [_inline(item, resolver) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    inner = {key: _inline(value, resolver) for key, value in node.items() if key != "$ref"}
    if not isinstance(ref, str):
        return inner
    resolved = resolver.lookup(ref)
    target = _inline(resolved.contents, resolved.resolver)
    if not inner:
        return target
    return {**inner, "allOf": [target, *inner.get("allOf", [])]}


@functools.cache
def load_schemas(directory: Path | None = None) -> SchemaSet:
    """Load and check every `*.schema.json` once; later calls reuse the result."""
    folder = directory or schemas_dir()
    documents = {p.name: _read(p) for p in sorted(folder.glob("*.schema.json"))}
    resources = [
        (str(doc.get("$id", name)), Resource.from_contents(doc, default_specification=DRAFT202012))
        for name, doc in documents.items()
    ]
    registry: Registry = Registry().with_resources(resources)

    def validator(doc: dict[str, object]) -> Draft202012Validator:
        Draft202012Validator.check_schema(doc)
        resolver = registry.resolver(base_uri=str(doc.get("$id", "")))
        inlined = _inline({k: v for k, v in doc.items() if k != "$defs"}, resolver)
        return Draft202012Validator(inlined, registry=registry)

    kinds: dict[str, Draft202012Validator] = {}
    for doc in documents.values():
        kind = _kind_of(doc)
        if kind is not None:
            kinds[kind] = validator(doc)
    if CONFIG_SCHEMA not in documents:
        raise SchemaDirNotFound(f"{folder} has no {CONFIG_SCHEMA}")
    return SchemaSet(folder, registry, kinds, validator(documents[CONFIG_SCHEMA]))
