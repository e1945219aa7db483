"""The schemas: valid draft 2020-12, one per kind, and findable from the source tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.gitops.manifests import ALL_KINDS
from reconciler.gitops.manifests.schema import (
    SCHEMAS_ENV,
    SchemaDirNotFound,
    load_schemas,
    schemas_dir,
)

SCHEMA_FILES = sorted(schemas_dir().glob("*.schema.json"))


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_file_is_valid_draft_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_kind_has_a_schema() -> None:
    assert set(load_schemas().kind_names()) == {k.kind for k in ALL_KINDS}


def test_env_override_and_clear_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in SCHEMA_FILES:
        (copy / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv(SCHEMAS_ENV, str(copy))
    assert schemas_dir() == copy
    assert load_schemas(copy).kind_names() == load_schemas().kind_names()
    monkeypatch.setenv(SCHEMAS_ENV, str(tmp_path))
    # The source checkout is still found after a wrong override.
    assert (schemas_dir() / "sealkeep.schema.json").is_file()
    with pytest.raises(SchemaDirNotFound, match=r"sealkeep\.schema\.json"):
        load_schemas(tmp_path)


def test_shared_definitions_resolve_through_the_registry() -> None:
    validator = load_schemas().validator_for("AppRole")
    assert validator is not None
    bad = {
        "apiVersion": "sealkeep.io/v1",
        "kind": "AppRole",
        "metadata": {"name": "x"},
        "spec": {"token_ttl": "1 hour"},
    }
    paths = [list(e.absolute_path) for e in validator.iter_errors(bad)]
    # unevaluatedProperties also flags the invalid field; the loader folds that one away.
    assert paths[0] == ["spec", "token_ttl"]
