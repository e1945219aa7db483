"""Templating of connection URLs and SQL statements, and statement splitting.

Connection URLs take `{{username}}` / `{{password}}` (URL-escaped unless `disable_escaping`);
statements take `{{name}}` / `{{username}}`, `{{password}}` and `{{expiration}}`, exactly as
Vault's database plugins do.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

# Vault adds a little slack so the database never expires a login before the lease does.
EXPIRATION_SLACK_SECONDS = 5
_GO_LAYOUT = "%Y-%m-%d %H:%M:%S%z"  # Go layout "2006-01-02 15:04:05-0700"


def render_connection_url(url: str, username: str, password: str, disable_escaping: bool) -> str:
    """Fill `{{username}}`/`{{name}}` and `{{password}}` into a connection URL."""
    if not disable_escaping:
        username = quote(username, safe="")
        password = quote(password, safe="")
    out = url.replace("{{username}}", username).replace("{{name}}", username)
    return out.replace("{{password}}", password)


def is_templated(url: str) -> bool:
    """True when the URL takes the password from the config (required for rotate-root)."""
    return "{{password}}" in url


_GO_DSN_PASSWORD = re.compile(r"^(?P<user>[^:@/]*):(?P<password>[^@]*)@(?P<rest>tcp\(|unix\()")
_KEYWORD_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


def embedded_password(url: str) -> bool:
    """True when a literal (non-templated) password is written into the URL itself."""
    if is_templated(url):
        return False
    return redact_url(url) != url


def redact_url(url: str) -> str:
    """The URL with any literal password replaced by `*****` (safe to return on read)."""
    match = _GO_DSN_PASSWORD.match(url)
    if match:
        if match.group("password") in ("", "{{password}}"):
            return url
        return f"{match.group('user')}:*****@{url[match.start('rest') :]}"
    if "://" in url:
        parts = urlsplit(url)
        if parts.password and parts.password != "{{password}}":
            userinfo, _, hostpart = parts.netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            url = url.replace(parts.netloc, f"{user}:*****@{hostpart}", 1)
    return _KEYWORD_PASSWORD.sub(
        lambda m: m.group(0) if "{{password}}" in m.group(2) else m.group(1) + "*****", url
    )


def format_expiration(now: float, ttl: int) -> str:
    """The lease expiry as Go's `2006-01-02 15:04:05-0700`: now + ttl + 5 s, in UTC."""
    moment = datetime.fromtimestamp(now + ttl + EXPIRATION_SLACK_SECONDS, UTC)
    return moment.strftime(_GO_LAYOUT)


def render_statement(statement: str, values: dict[str, str]) -> str:
    """Replace `{{key}}` (also written `{{ key }}`) with each value; unknown keys stay."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        return values.get(key, match.group(0))

    return re.sub(r"\{\{\s*(\w+)\s*\}\}", substitute, statement)


def user_values(username: str, password: str = "", expiration: str = "") -> dict[str, str]:
    """The template values for a user statement; `{{name}}` and `{{username}}` are synonyms."""
    values = {"name": username, "username": username}
    if password:
        values["password"] = password
    if expiration:
        values["expiration"] = expiration
    return values


_BLOCK = re.compile(r"\bBEGIN\b.*\bEND\b", re.IGNORECASE | re.DOTALL)


def split_statements(statement: str) -> list[str]:
    """Split one statement string into queries on `;`, outside quotes and `$$` blocks.

    A multi-line `BEGIN ... END` block (a procedure body) runs whole, as in Vault.
    """
    if "\n" in statement.strip() and _BLOCK.search(statement):
        return [statement.strip()]
    queries: list[str] = []
    current: list[str] = []
    i = 0
    quote_end: str | None = None
    while i < len(statement):
        if quote_end is not None:
            if statement.startswith(quote_end, i):
                current.append(quote_end)
                i += len(quote_end)
                quote_end = None
                continue
            current.append(statement[i])
            i += 1
            continue
        opener = _quote_opening(statement, i)
        if opener:
            current.append(opener)
            i += len(opener)
            quote_end = opener
            continue
        char = statement[i]
        if char == ";":
            queries.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    queries.append("".join(current))
    return [q.strip() for q in queries if q.strip()]


_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")


def _quote_opening(text: str, pos: int) -> str:
    """The quote that opens at `pos` (`'`, `"`, `` ` `` or a `$tag$`), or ""."""
    char = text[pos]
    if char in "'\"`":
        return char
    if char == "$":
        match = _DOLLAR_TAG.match(text, pos)
        if match:
            return match.group(0)
    return ""


def expand_statements(statements: list[str], values: dict[str, str]) -> list[str]:
    """Render every statement string, then split each into single queries."""
    queries: list[str] = []
    for statement in statements:
        queries.extend(split_statements(render_statement(statement, values)))
    return queries
