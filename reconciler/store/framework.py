"""The backend framework: each engine or auth method is a table of paths.

As in Vault's `sdk/framework`, a backend declares `PathSpec`s (a regex, typed fields, a handler
per operation, an optional existence check). Routing inside a mount, field coercion ("weak
decoding"), create-vs-update resolution and the unknown-parameter warning all come from this
one table, so an engine only writes its handlers.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Literal

from reconciler.store.errors import BadRequest, NotFound, UnsupportedOperation
from reconciler.store.logical import Operation, Request, Response, Secret
from reconciler.store.slowwork import offload
from reconciler.store.storage.view import StorageView
from reconciler.vocabulary.durations import parse_duration


class FieldType(Enum):
    """How a request field is coerced (Vault's framework field types)."""

    STRING = "string"
    INT = "int"
    BOOL = "bool"
    DURATION = "duration"  # seconds; accepts "1h", "90s", 3600, "3600"
    COMMA_STRINGS = "comma_strings"  # list, or "a,b" split on commas
    STRINGS = "strings"  # list, or a single string -> one-element list
    KV_MAP = "kv_map"  # object with values coerced to strings
    MAP = "map"  # any JSON object
    COMMA_INTS = "comma_ints"  # [1, 2] or "1,2"
    ANY = "any"


@dataclass(frozen=True)
class Field:
    """One declared request field: its type and its default when absent or null."""

    type: FieldType = FieldType.STRING
    default: Any = None
    description: str = ""


_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}


def parse_bool(value: object) -> bool:
    """Parse a bool the way Go's strconv.ParseBool (and Vault's weak decoding) does."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str) and value in _TRUE:
        return True
    if isinstance(value, str) and value in _FALSE:
        return False
    raise ValueError(f"cannot parse {value!r} as bool")


def _split_commas(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def coerce(name: str, kind: FieldType, value: Any) -> Any:
    """Coerce one raw JSON value to its declared type, or raise a Vault-style 400."""
    try:
        return _COERCERS[kind](value)
    except (ValueError, TypeError) as exc:
        raise BadRequest(
            f'Field validation failed: error converting input for field "{name}": {exc}'
        ) from None


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"expected a string, got {type(value).__name__}")


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise ValueError(f"cannot parse {value!r} as int")


def _to_comma_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return _split_commas(value)
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_split_commas(_to_string(item)))
        return out
    raise ValueError(f"expected a list or a comma-separated string, got {type(value).__name__}")


def _to_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [_to_string(item) for item in value]
    raise ValueError(f"expected a list of strings, got {type(value).__name__}")


def _to_kv_map(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    if not isinstance(value, dict):
        raise ValueError(f"expected a map, got {type(value).__name__}")
    return {str(k): _to_string(v) for k, v in value.items()}


def _to_map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected a map, got {type(value).__name__}")
    return value


def _to_comma_ints(value: Any) -> list[int]:
    if isinstance(value, str):
        return [_to_int(part) for part in _split_commas(value)]
    if isinstance(value, list):
        return [_to_int(item) for item in value]
    return [_to_int(value)]


_COERCERS: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.STRING: _to_string,
    FieldType.INT: _to_int,
    FieldType.BOOL: parse_bool,
    FieldType.DURATION: parse_duration,
    FieldType.COMMA_STRINGS: _to_comma_strings,
    FieldType.STRINGS: _to_strings,
    FieldType.KV_MAP: _to_kv_map,
    FieldType.MAP: _to_map,
    FieldType.COMMA_INTS: _to_comma_ints,
    FieldType.ANY: lambda v: v,
}


class FieldData:
    """Typed access to a request's data: path parameters first, then the body/query."""

    def __init__(self, raw: dict[str, Any], schema: dict[str, Field], params: dict[str, str]):
        self.raw = raw
        self.schema = schema
        self.params = params

    def present(self, name: str) -> bool:
        """True when the caller supplied the field with a non-null value."""
        return name in self.params or self.raw.get(name) is not None

    def get(self, name: str) -> Any:
        """The coerced value, or the declared default (a fresh copy for lists and maps)."""
        if name in self.params:
            return self.params[name]
        spec = self.schema.get(name, Field(FieldType.ANY))
        value = self.raw.get(name)
        if value is None:
            default = spec.default
            return type(default)(default) if isinstance(default, list | dict) else default
        return coerce(name, spec.type, value)

    def unknown(self) -> list[str]:
        """Body keys that no field declares (Vault warns about them)."""
        return sorted(k for k in self.raw if k not in self.schema and k not in self.params)


Handler = Callable[[Request, FieldData], Response | None]
ExistenceCheck = Callable[[Request, FieldData], bool]


@dataclass
class PathSpec:
    """One path of a backend: a regex relative to the mount, fields, and handlers.

    Named groups in `pattern` become path parameters. `CREATE` falls back to the `UPDATE`
    handler and vice versa. `existence_check` lets the core tell create from update for ACL.
    """

    pattern: str
    operations: dict[Operation, Handler]
    fields: dict[str, Field] = field(default_factory=dict)
    existence_check: ExistenceCheck | None = None
    unauthenticated: bool = False
    sudo: bool = False
    any_fields: bool = False  # the body is free-form (KV v1 data): no unknown-field warning
    slow: bool = False  # hashes or calls out: runs on the work pool, off the request lock
    description: str = ""
    regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(self.pattern)

    def handler_for(self, op: Operation) -> Handler | None:
        """The handler for an operation, with create and update standing in for each other."""
        handler = self.operations.get(op)
        if handler is None and op is Operation.CREATE:
            handler = self.operations.get(Operation.UPDATE)
        if handler is None and op is Operation.UPDATE:
            handler = self.operations.get(Operation.CREATE)
        return handler


@dataclass
class MountEntry:
    """A mount table row. `path` ends with `/`; `config` holds the tunable TTLs in seconds."""

    path: str
    type: str
    accessor: str
    uuid: str
    description: str = ""
    options: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    local: bool = False
    seal_wrap: bool = False
    mount_class: Literal["secret", "auth"] = "secret"


class SystemView:
    """What a backend may ask of the core: effective TTLs for its mount.

    The core gives each backend one of these; backends never reach into the core.
    """

    def __init__(self, mount: MountEntry, system_default_ttl: int, system_max_ttl: int):
        self.mount = mount
        self._system_default = system_default_ttl
        self._system_max = system_max_ttl

    def default_lease_ttl(self) -> int:
        """The mount's default lease TTL in seconds, else the system default."""
        return int(self.mount.config.get("default_lease_ttl") or self._system_default)

    def max_lease_ttl(self) -> int:
        """The mount's max lease TTL in seconds, else the system max."""
        return int(self.mount.config.get("max_lease_ttl") or self._system_max)


@dataclass
class MountContext:
    """Everything a backend instance is given: its own storage view and its system view."""

    storage: StorageView
    mount: MountEntry
    system: SystemView


class Backend(ABC):
    """Base class for engines and auth methods. Subclasses implement `paths()`.

    A backend only ever sees its own `StorageView` (its mount's prefix in the barrier).
    """

    type_name: ClassVar[str] = ""
    mount_class: ClassVar[Literal["secret", "auth"]] = "secret"
    # Every handler calls out (a database): all of them run on the work pool.
    slow_work: ClassVar[bool] = False

    def __init__(self, ctx: MountContext) -> None:
        self.ctx = ctx
        self.storage = ctx.storage
        self._last_match: tuple[str | None, tuple[PathSpec, dict[str, str]] | None] = (None, None)
        self._specs = self.paths()

    @abstractmethod
    def paths(self) -> list[PathSpec]:
        """The path table; called once per mount."""

    # -- routing ---------------------------------------------------------------------------

    def match(self, rel_path: str) -> tuple[PathSpec, dict[str, str]] | None:
        """The first spec whose pattern fully matches, and its path parameters.

        One request asks up to four times (unauthenticated? exists? sudo? dispatch) for the
        same path, so the last answer is kept: one tuple, replaced whole, safe across threads.
        """
        last_path, last_result = self._last_match
        if last_path == rel_path:
            return None if last_result is None else (last_result[0], dict(last_result[1]))
        result: tuple[PathSpec, dict[str, str]] | None = None
        for spec in self._specs:
            found = spec.regex.fullmatch(rel_path)
            if found:
                result = spec, {k: v for k, v in found.groupdict().items() if v is not None}
                break
        self._last_match = (rel_path, result)
        return result

    def is_unauthenticated(self, rel_path: str) -> bool:
        """True for login-style paths that need no token."""
        matched = self.match(rel_path)
        return bool(matched and matched[0].unauthenticated)

    def login_role(self, req: Request, rel_path: str) -> str | None:
        """The role a login names, for role-based quotas (Vault's role resolution).

        By default the `role` field of a `login` request (jwt, kubernetes); None otherwise.
        """
        role = req.data.get("role") if rel_path == "login" else None
        return role if isinstance(role, str) and role else None

    def may_block(self, rel_path: str) -> bool:
        """True when serving `rel_path` may run slow work (see `PathSpec.slow`)."""
        if self.slow_work:
            return True
        matched = self.match(rel_path)
        return bool(matched and matched[0].slow)

    def is_sudo(self, rel_path: str) -> bool:
        """True for root-protected paths (the caller needs `sudo` as well)."""
        matched = self.match(rel_path)
        return bool(matched and matched[0].sudo)

    def exists(self, req: Request, rel_path: str) -> bool | None:
        """Run the path's existence check; None when the path has none (always `update`)."""
        matched = self.match(rel_path)
        if matched is None or matched[0].existence_check is None:
            return None
        spec, params = matched
        return spec.existence_check(req, FieldData(req.data, spec.fields, params))

    def handle(self, req: Request, rel_path: str) -> Response | None:
        """Dispatch to the handler; add Vault's unknown-parameter warning to bodies."""
        matched = self.match(rel_path)
        if matched is None:
            raise NotFound(f'no handler for route "{req.path}". route entry not found.')
        spec, params = matched
        handler = spec.handler_for(req.operation)
        if handler is None:
            raise UnsupportedOperation()
        data = FieldData(req.data, spec.fields, params)
        if spec.slow or self.slow_work:
            response = offload(lambda: handler(req, data))
        else:
            response = handler(req, data)
        unknown = [] if spec.any_fields else data.unknown()
        if response is not None and unknown and response.raw is None:
            response.warnings.append(
                f"Endpoint ignored these unrecognized parameters: [{' '.join(unknown)}]"
            )
        return response

    def help_text(self, rel_path: str) -> str:
        """Vault's path help (`?help=1`): the matching route, its description, its fields."""
        matched = self.match(rel_path)
        if matched is None:
            return f"Request:        {rel_path}\nMatching Route: (none)\n"
        spec = matched[0]
        lines = [f"Request:        {rel_path}", f"Matching Route: ^{spec.pattern}$", ""]
        lines += [spec.description or f"The {self.type_name} backend.", ""]
        if spec.fields:
            lines += ["## PARAMETERS", ""]
            for name, declared in sorted(spec.fields.items()):
                lines += [f"    {name} ({declared.type.value})", ""]
                if declared.description:
                    lines += [f"        {declared.description}", ""]
        return "\n".join(lines)

    # -- leases ----------------------------------------------------------------------------

    def renew_secret(self, secret: Secret, increment: int) -> Secret:
        """Extend a lease this backend issued; engines with leases override it."""
        raise BadRequest("lease is not renewable")

    def revoke_secret(self, secret: Secret) -> None:
        """Release what a lease holds (e.g. drop a database user); default: nothing."""

    # -- life cycle ------------------------------------------------------------------------

    def periodic(self) -> None:
        """Scheduled work (expiring rotations); the core calls it about once a second."""

    def cleanup(self) -> None:
        """Release external resources (connections) on seal or unmount."""


def paths_under(prefixes: Iterable[str]) -> str:
    """A regex alternation of literal prefixes, for patterns shared by several paths."""
    return "|".join(re.escape(p) for p in prefixes)
