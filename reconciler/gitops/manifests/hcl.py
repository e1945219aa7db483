"""Check Vault HCL policy text with the store's own parser, so Git and the store agree."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.gitops.manifests.source import Span


@dataclass(frozen=True)
class HclProblem:
    """A parse error at `line`/`column` (1-based) of the HCL text itself."""

    line: int
    column: int
    message: str


def hcl_problems(name: str, text: str) -> list[HclProblem]:
    """The parse errors of policy `text` (at most one: the parser stops at the first)."""
    # Imported here so loading manifests without any HCL never pulls in the store's parser.
    from reconciler.vocabulary.policy.parser import PolicyParseError, parse_policy

    try:
        parse_policy(name, text)
    except PolicyParseError as exc:
        return [HclProblem(exc.line or 1, exc.column or 1, str(exc))]
    return []


def embedded_span(value_span: Span, source_lines: list[str], problem: HclProblem) -> Span:
    """Where an HCL problem sits in a YAML file whose `hcl:` value starts at `value_span`.

    For a block scalar (`hcl: |`) the text starts on the next line, indented; for any other
    scalar style the value's own position is the best available.
    """
    index = value_span.line - 1
    line_text = source_lines[index] if index < len(source_lines) else ""
    indicator = line_text[value_span.column - 1 : value_span.column]
    if indicator not in ("|", ">"):
        return value_span
    first = source_lines[index + 1] if index + 1 < len(source_lines) else ""
    indent = len(first) - len(first.lstrip(" "))
    return Span(value_span.path, value_span.line + problem.line, indent + problem.column)
