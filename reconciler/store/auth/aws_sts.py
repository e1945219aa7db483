"""The AWS side of the `iam` login: decode the signed request, replay it to STS, parse the answer.

A client proves its IAM identity by signing an `sts:GetCallerIdentity` request that it never
sends; the server sends it to STS (the configured endpoint, never one the caller names) and
learns from the answer whose credentials signed it. STS checks the signature, so a request
changed after signing is refused there. Nothing here touches the store: the login handler
calls these functions from the work pool.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from reconciler.store.errors import BadRequest, StoreError

SERVER_ID_HEADER = "X-Vault-AWS-IAM-Server-ID"
DEFAULT_STS_ENDPOINT = "https://sts.amazonaws.com"
STS_TIMEOUT = 10.0
# AWS refuses a SigV4 request whose X-Amz-Date is more than 15 minutes from its clock; the
# server checks it too, so a captured login cannot be replayed later against an STS (or an
# STS-compatible endpoint) that does not.
MAX_SIGNATURE_AGE = dt.timedelta(minutes=15)
_STS_NS = re.compile(r"^\{[^}]*\}")


class LoginRefused(StoreError):
    """403 with the reason Vault gives (the caller's own request was not good enough)."""

    status = 403


@dataclass(frozen=True)
class SignedRequest:
    """A decoded `iam_*` login: method, URL, body and headers, as the client signed them."""

    method: str
    url: str
    body: str
    headers: dict[str, list[str]]

    def header(self, name: str) -> str:
        """The values of a header (case-insensitive) joined by commas; '' when absent."""
        for key, values in self.headers.items():
            if key.lower() == name.lower():
                return ",".join(values)
        return ""


@dataclass(frozen=True)
class CallerIdentity:
    """What STS answered: the caller's ARN, unique user id and account."""

    arn: str
    user_id: str
    account: str


@dataclass(frozen=True)
class IamEntity:
    """A parsed principal ARN (`user/...`, `role/...` or `assumed-role/Role/session`)."""

    partition: str
    account: str
    type: str
    path: str
    friendly_name: str
    session: str = ""

    def canonical_arn(self) -> str:
        """Vault's canonical form: an assumed role as its role, without the path."""
        kind = "role" if self.type == "assumed-role" else self.type
        return f"arn:{self.partition}:iam::{self.account}:{kind}/{self.friendly_name}"


def _b64(value: str, name: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, ValueError):
        raise BadRequest(f"failed to base64 decode {name}") from None


def _headers(raw: Any) -> dict[str, list[str]]:
    # Vault takes a base64 JSON object or the object itself; values are strings or lists.
    if isinstance(raw, str):
        try:
            raw = json.loads(_b64(raw, "iam_request_headers"))
        except ValueError:
            raise BadRequest("error parsing iam_request_headers") from None
    if not isinstance(raw, dict) or not raw:
        raise BadRequest("missing iam_request_headers")
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        out[str(key)] = [str(v) for v in values]
    return out


def decode_login(fields: dict[str, Any]) -> SignedRequest:
    """The signed request of an `iam` login, or a 400 naming the field that is wrong."""
    method = fields.get("iam_http_request_method") or ""
    if not method:
        raise BadRequest("missing iam_http_request_method")
    if method != "POST":
        raise BadRequest("invalid iam_http_request_method; currently only 'POST' is supported")
    for name in ("iam_request_url", "iam_request_body"):
        if not fields.get(name):
            raise BadRequest(f"missing {name}")
    url = _b64(fields["iam_request_url"], "iam_request_url")
    body = _b64(fields["iam_request_body"], "iam_request_body")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.path not in ("", "/") or parts.query:
        raise BadRequest("error validating iam_request_url: not a GetCallerIdentity request")
    params = parse_qs(body, keep_blank_values=True)
    if params.get("Action") != ["GetCallerIdentity"] or set(params) - {"Action", "Version"}:
        raise BadRequest("iam_request_body must be a GetCallerIdentity request")
    return SignedRequest(method, url, body, _headers(fields.get("iam_request_headers")))


def check_server_id(request: SignedRequest, required: str) -> None:
    """The server-ID header must carry the configured value and be among the signed headers."""
    prefix = f"error validating {SERVER_ID_HEADER} header: "
    given = request.header(SERVER_ID_HEADER)
    if not given:
        raise LoginRefused(prefix + f'missing header "{SERVER_ID_HEADER}"')
    if given != required:
        raise LoginRefused(prefix + f'expected "{required}" but got "{given}"')
    found = re.findall(r"SignedHeaders=([^,\s]+)", request.header("Authorization"))
    if len(found) != 1 or SERVER_ID_HEADER.lower() not in found[0].split(";"):
        raise LoginRefused(prefix + "vault header wasn't signed")


def check_signature_age(request: SignedRequest, now: dt.datetime) -> None:
    """Refuse a request signed more than 15 minutes from `now` (AWS's own limit)."""
    stamp = request.header("X-Amz-Date")
    try:
        signed_at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise LoginRefused("error making upstream request: missing or invalid X-Amz-Date") from None
    if abs(now - signed_at) > MAX_SIGNATURE_AGE:
        raise LoginRefused(
            "error making upstream request: signature expired: "
            f"{stamp} is more than 15 minutes from the server's time"
        )


def sts_endpoint(configured: str, region: str) -> str:
    """The endpoint logins are replayed to: the configured one, else AWS's (regional) STS."""
    if configured:
        return configured.rstrip("/")
    return f"https://sts.{region}.amazonaws.com" if region else DEFAULT_STS_ENDPOINT


def _error_code(body: str) -> str:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return ""
    for element in root.iter():
        if _STS_NS.sub("", element.tag) == "Code" and element.text:
            return element.text
    return ""


def submit(request: SignedRequest, endpoint: str) -> CallerIdentity:
    """Replay the signed request to STS at `endpoint`; who STS says signed it.

    The Host header stays the one the client signed (STS checks it), while the request goes
    to the configured endpoint, as Vault does. Redirects are not followed.
    """
    target = urlsplit(request.url)
    headers = [(k, v) for k, values in request.headers.items() for v in values]
    if not request.header("Host"):
        headers.append(("Host", target.netloc))
    try:
        response = httpx.post(
            endpoint + (target.path or "/"),
            content=request.body.encode(),
            headers=headers,
            timeout=STS_TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise BadRequest(f"error making upstream request: {type(exc).__name__}") from None
    if response.status_code != 200:
        code = _error_code(response.text)
        raise LoginRefused(
            f"error making upstream request: received error code {response.status_code} "
            f"from STS{': ' + code if code else ''}"
        )
    return _caller_identity(response.text)


def _caller_identity(body: str) -> CallerIdentity:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise BadRequest("error making upstream request: error parsing STS response") from None
    found = {_STS_NS.sub("", e.tag): (e.text or "") for e in root.iter()}
    if not found.get("Arn"):
        raise BadRequest("error making upstream request: error parsing STS response")
    return CallerIdentity(found["Arn"], found.get("UserId", ""), found.get("Account", ""))


def parse_arn(arn: str) -> IamEntity:
    """Parse an IAM or STS principal ARN, or raise a 400 with Vault's wording."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] not in ("iam", "sts"):
        raise BadRequest(f'error parsing arn "{arn}": unrecognized arn')
    pieces = parts[5].split("/")
    if len(pieces) < 2:
        raise BadRequest(f'error parsing arn "{arn}": fewer than 2 slash-separated parts')
    kind = pieces[0]
    if kind == "assumed-role" and len(pieces) == 3:
        return IamEntity(parts[1], parts[4], kind, "", pieces[1], pieces[2])
    if kind not in ("user", "role", "instance-profile"):
        raise BadRequest(f'error parsing arn "{arn}": unrecognized principal type: "{kind}"')
    return IamEntity(parts[1], parts[4], kind, "/".join(pieces[1:-1]), pieces[-1])
