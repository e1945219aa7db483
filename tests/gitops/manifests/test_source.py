"""YAML reading: 1.2 core-schema values, spans for keys and values, errors keep earlier docs."""

from __future__ import annotations

import math

from reconciler.gitops.manifests.diagnostics import Diagnostic, format_json_path
from reconciler.gitops.manifests.source import Span, parse_yaml


def test_yaml_12_scalars() -> None:
    text = "a: yes\nb: 012\nc: 0x1f\nd: .inf\ne: ~\nf: True\ng: 1:20\n<<: merged\nh: '7'\n"
    (doc,) = parse_yaml(text, "x.yaml").documents
    assert doc.value == {
        "a": "yes",
        "b": 10,  # octal, as go-yaml v3 (and so sops) reads `012`
        "c": 31,
        "d": math.inf,
        "e": None,
        "f": True,
        "g": "1:20",
        "<<": "merged",
        "h": "7",
    }


def test_spans_for_values_and_keys() -> None:
    text = "spec:\n  rules:\n    - path: a\n      capabilities: [read, list]\n"
    (doc,) = parse_yaml(text, "p.yaml").documents
    assert doc.value_span(("spec", "rules", 0, "capabilities", 1)) == Span("p.yaml", 4, 28)
    assert doc.key_span(("spec", "rules", 0, "path")) == Span("p.yaml", 3, 7)
    assert doc.value_span(("spec", "rules", 0, "path")) == Span("p.yaml", 3, 13)
    # A path that does not exist falls back to the nearest ancestor.
    assert doc.key_span(("spec", "missing")) == Span("p.yaml", 1, 1)


def test_multi_document_and_error_after_good_documents() -> None:
    parsed = parse_yaml("a: 1\n---\nb: 2\n---\nc: [\n", "m.yaml")
    assert [d.value for d in parsed.documents] == [{"a": 1}, {"b": 2}]
    assert parsed.documents[1].start == Span("m.yaml", 3, 1)
    assert parsed.error is not None
    assert parsed.error.span.line == 6
    assert parsed.error.message.startswith("YAML syntax error: ")


def test_duplicate_and_complex_keys_are_problems() -> None:
    (doc,) = parse_yaml("a: 1\na: 2\n? [x]\n: y\n", "d.yaml").documents
    assert doc.value == {"a": 1}
    assert [(p.message, p.span.line) for p in doc.problems] == [
        ("duplicate key 'a'", 2),
        ("keys must be scalars", 3),
    ]


def test_empty_file_has_no_documents() -> None:
    assert parse_yaml("", "e.yaml").documents == ()


def test_json_path_and_diagnostic_format() -> None:
    assert format_json_path(("spec", "rules", 0, "path")) == "spec.rules[0].path"
    assert format_json_path(("spec", "data", "a.b")) == 'spec.data["a.b"]'
    diagnostic = Diagnostic.at(
        Span("x.yaml", 3, 5), "bad", kind="AppRole", name=None, json_path=("spec", "token_ttl")
    )
    assert str(diagnostic) == "x.yaml:3:5: AppRole/?: spec.token_ttl: bad"


def test_a_tagged_number_that_is_not_one_is_a_problem_that_hides_the_value() -> None:
    (doc,) = parse_yaml("a: !!int hunter2\nb: !!float 42\n", "x.yaml").documents
    assert doc.value == {"a": "hunter2", "b": 42.0}
    assert [(str(p.span), p.message) for p in doc.problems] == [
        ("x.yaml:1:4", "a scalar tagged int does not read as one")
    ]
