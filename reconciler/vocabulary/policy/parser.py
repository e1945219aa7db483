"""Parse Vault ACL policies (HCL1 or JSON) into `Policy`, with Vault's validation and errors."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.vocabulary.durations import parse_duration
from reconciler.vocabulary.policy.fmt import policy_to_hcl
from reconciler.vocabulary.policy.hcl_ast import (
    Item,
    Key,
    ListNode,
    Literal,
    Node,
    ObjectNode,
    parse_document,
    plain,
)
from reconciler.vocabulary.policy.model import (
    Capability,
    ParamValues,
    PathRule,
    Policy,
    PolicyParseError,
    capabilities_from_names,
    segment_wildcards,
)

__all__ = ["PathRule", "Policy", "PolicyParseError", "format_policy", "parse_policy"]
__all__ += ["policy_to_hcl"]

_TOP_KEYS = frozenset({"path", "name"})
_BLOCK_KEYS = frozenset(
    {
        "comment",
        "policy",
        "capabilities",
        "allowed_parameters",
        "denied_parameters",
        "required_parameters",
        "min_wrapping_ttl",
        "max_wrapping_ttl",
        "mfa_methods",
        "control_group",
        "subscribe_event_types",
    }
)
# Legacy `policy = "..."` values and the capabilities each one stands for.
_LEGACY = {
    "deny": ("deny",),
    "read": ("read", "list"),
    "write": ("create", "read", "update", "delete", "list"),
    "sudo": ("create", "read", "update", "delete", "list", "sudo"),
}


def parse_policy(name: str, text: str) -> Policy:
    """Parse policy `text` (HCL1 or JSON) named `name`.

    Raises PolicyParseError ("failed to parse policy: ...") with the line and column of the
    offending token when they are known.
    """
    document = parse_document(text)
    rules: list[PathRule] = []
    for item in document.items:
        key = item.keys[0]
        if key.name not in _TOP_KEYS:
            raise _error(f'invalid key "{key.name}" on line {key.pos.line}', key)
        if key.name == "path":
            rules.extend(_parse_block(path, block) for path, block in _path_blocks(item))
    return Policy(name=name, text=text, rules=tuple(rules))


def format_policy(text: str) -> str:
    """Canonical HCL for policy `text` (for `sealkeep policy fmt`). Raises PolicyParseError."""
    return policy_to_hcl(parse_policy("", text))


def _error(message: str, where: Key | Node | Item) -> PolicyParseError:
    return PolicyParseError(message, where.pos.line, where.pos.column)


def _path_blocks(item: Item) -> Iterator[tuple[Key, Node]]:
    """Yield (path key, block) for `path "x" {...}`, `path = {"x" = {...}}` and JSON forms."""
    rest = item.keys[1:]
    if len(rest) == 1:
        yield rest[0], item.value
        return
    if len(rest) > 1:
        raise _error(f'path "{rest[0].name}": unexpected key "{rest[1].name}"', rest[1])
    containers = item.value.values if isinstance(item.value, ListNode) else (item.value,)
    for container in containers:
        if not isinstance(container, ObjectNode):
            raise _error("path: expected an object of path blocks", container)
        for child in container.items:
            if len(child.keys) > 1:
                raise _error(
                    f'path "{child.keys[0].name}": unexpected key "{child.keys[1].name}"',
                    child.keys[1],
                )
            yield child.keys[0], child.value


def _parse_block(key: Key, block: Node) -> PathRule:
    label = f'path "{key.name}"'
    if not isinstance(block, ObjectNode):
        raise _error(f"{label}: expected a block", block)
    fields: dict[str, Node] = {}
    for item in block.items:
        field_key = item.keys[0]
        if field_key.name not in _BLOCK_KEYS:
            message = f'{label}: invalid key "{field_key.name}" on line {field_key.pos.line}'
            raise _error(message, field_key)
        fields[field_key.name] = item.value
    path = key.name.removeprefix("/")
    if "+*" in path:
        raise _error(f"{label}: invalid use of wildcards ('+*' is forbidden)", key)
    is_prefix = path.endswith("*")
    path = path.removesuffix("*") if is_prefix else path
    min_ttl = _duration(label, fields, "min_wrapping_ttl")
    max_ttl = _duration(label, fields, "max_wrapping_ttl")
    if min_ttl and max_ttl and max_ttl < min_ttl:
        raise _error(f"{label}: max_wrapping_ttl cannot be less than min_wrapping_ttl", key)
    return PathRule(
        path=path,
        capabilities=_capabilities(label, fields),
        is_prefix=is_prefix,
        has_plus=segment_wildcards(path),
        allowed_parameters=_parameters(label, fields, "allowed_parameters"),
        denied_parameters=_parameters(label, fields, "denied_parameters"),
        required_parameters=_strings(label, fields, "required_parameters"),
        min_wrapping_ttl=min_ttl,
        max_wrapping_ttl=max_ttl,
        mfa_methods=_strings(label, fields, "mfa_methods"),
        subscribe_event_types=_strings(label, fields, "subscribe_event_types"),
        comment=_string(label, fields, "comment"),
        templated="{{" in path,
        line=key.pos.line,
    )


def _capabilities(label: str, fields: dict[str, Node]) -> Capability:
    names: list[str] = []
    for node in _string_nodes(label, fields, "capabilities"):
        name = str(node.value)
        try:
            Capability.from_name(name)
        except KeyError:
            raise _error(f'{label}: invalid capability "{name}"', node) from None
        names.append(name)
    legacy = _string(label, fields, "policy")
    if legacy:
        if legacy not in _LEGACY:
            raise _error(f'{label}: invalid policy "{legacy}"', fields["policy"])
        names.extend(_LEGACY[legacy])
    return capabilities_from_names(names)


def _string(label: str, fields: dict[str, Node], name: str) -> str:
    node = fields.get(name)
    if node is None:
        return ""
    if not isinstance(node, Literal) or not isinstance(node.value, str):
        raise _error(f'{label}: "{name}" must be a string', node)
    return node.value


def _string_nodes(label: str, fields: dict[str, Node], name: str) -> list[Literal]:
    """A list of strings; a single string is taken as a one-element list, as HCL1 decodes it."""
    node = fields.get(name)
    if node is None:
        return []
    values = node.values if isinstance(node, ListNode) else (node,)
    result: list[Literal] = []
    for value in values:
        if not isinstance(value, Literal) or not isinstance(value.value, str):
            raise _error(f'{label}: "{name}" must be a list of strings', value)
        result.append(value)
    return result


def _strings(label: str, fields: dict[str, Node], name: str) -> tuple[str, ...]:
    return tuple(str(node.value) for node in _string_nodes(label, fields, name))


def _parameters(label: str, fields: dict[str, Node], name: str) -> dict[str, ParamValues]:
    node = fields.get(name)
    if node is None:
        return {}
    objects = node.values if isinstance(node, ListNode) else (node,)
    result: dict[str, ParamValues] = {}
    for obj in objects:
        if not isinstance(obj, ObjectNode):
            raise _error(f'{label}: "{name}" must be a map of parameter names to lists', obj)
        for item in obj.items:
            values = item.value.values if isinstance(item.value, ListNode) else (item.value,)
            # Vault compares parameter names lower-cased on both sides.
            result[item.keys[0].name.lower()] = tuple(plain(v) for v in values)
    return result


def _duration(label: str, fields: dict[str, Node], name: str) -> int:
    node = fields.get(name)
    if node is None:
        return 0
    value = node.value if isinstance(node, Literal) else node
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise _error(f"{label}: error parsing {name}: {exc}", node) from None
    if seconds < 0:
        raise _error(f"{label}: error parsing {name}: negative duration {value!r}", node)
    return seconds
