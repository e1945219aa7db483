"""The parts of the AWS `iam` login that need no STS: decoding, the server-ID header, the
signature's age, and ARNs (the login itself is tested against moto in tests/server)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest

from reconciler.store.auth.aws_sts import (
    LoginRefused,
    SignedRequest,
    check_server_id,
    check_signature_age,
    decode_login,
    parse_arn,
    sts_endpoint,
)
from reconciler.store.errors import BadRequest

BODY = "Action=GetCallerIdentity&Version=2011-06-15"
SIGNED = "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/sts/aws4_request, SignedHeaders="


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _fields(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "iam_http_request_method": "POST",
        "iam_request_url": _b64("https://sts.amazonaws.com/"),
        "iam_request_body": _b64(BODY),
        "iam_request_headers": _b64(json.dumps({"X-Amz-Date": ["20260101T000000Z"]})),
    }
    fields.update(changes)
    return fields


def test_a_login_decodes_headers_given_as_base64_json_or_as_an_object() -> None:
    as_object = decode_login(_fields(iam_request_headers={"X-Amz-Date": "20260101T000000Z"}))
    assert decode_login(_fields()) == as_object
    assert as_object.header("x-amz-date") == "20260101T000000Z"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iam_http_request_method": "GET"}, "currently only 'POST' is supported"),
        ({"iam_request_url": ""}, "missing iam_request_url"),
        ({"iam_request_body": "%%%"}, "failed to base64 decode iam_request_body"),
        ({"iam_request_body": _b64("Action=ListUsers")}, "GetCallerIdentity"),
        ({"iam_request_url": _b64("https://sts.amazonaws.com/x?Action=A")}, "iam_request_url"),
        ({"iam_request_headers": _b64("[]")}, "missing iam_request_headers"),
    ],
)
def test_a_malformed_login_is_a_bad_request(changes: dict[str, object], message: str) -> None:
    with pytest.raises(BadRequest, match=re.escape(message)):
        decode_login(_fields(**changes))


def _request(headers: dict[str, str]) -> SignedRequest:
    return SignedRequest(
        "POST", "https://sts.amazonaws.com/", BODY, {k: [v] for k, v in headers.items()}
    )


def test_the_server_id_header_must_match_and_be_signed() -> None:
    header = "X-Vault-AWS-IAM-Server-ID"
    signed = {
        header: "vault.example",
        "Authorization": SIGNED + "host;x-amz-date;" + header.lower(),
    }
    check_server_id(_request(signed), "vault.example")
    with pytest.raises(LoginRefused, match=re.escape('expected "vault.example" but got "other"')):
        check_server_id(_request({**signed, header: "other"}), "vault.example")
    unsigned = {**signed, "Authorization": SIGNED + "host;x-amz-date"}
    with pytest.raises(LoginRefused, match="vault header wasn't signed"):
        check_server_id(_request(unsigned), "vault.example")
    with pytest.raises(LoginRefused, match="missing header"):
        check_server_id(_request({}), "vault.example")


def test_a_signature_older_than_fifteen_minutes_is_refused() -> None:
    now = dt.datetime(2026, 1, 1, 0, 20, tzinfo=dt.UTC)
    check_signature_age(_request({"X-Amz-Date": "20260101T000600Z"}), now)
    with pytest.raises(LoginRefused, match="signature expired"):
        check_signature_age(_request({"X-Amz-Date": "20260101T000400Z"}), now)
    with pytest.raises(LoginRefused, match="invalid X-Amz-Date"):
        check_signature_age(_request({}), now)


def test_arns_parse_and_an_assumed_role_is_canonically_its_role() -> None:
    assumed = parse_arn("arn:aws:sts::123456789012:assumed-role/worker/i-0abc")
    assert (assumed.friendly_name, assumed.session) == ("worker", "i-0abc")
    assert assumed.canonical_arn() == "arn:aws:iam::123456789012:role/worker"
    user = parse_arn("arn:aws:iam::123456789012:user/team/alice")
    assert (user.path, user.canonical_arn()) == ("team", "arn:aws:iam::123456789012:user/alice")
    for bad in ("arn:aws:s3:::bucket", "not-an-arn", "arn:aws:iam::123456789012:group/x"):
        with pytest.raises(BadRequest, match="error parsing arn"):
            parse_arn(bad)


def test_the_sts_endpoint_is_configured_or_aws_own() -> None:
    assert sts_endpoint("http://127.0.0.1:5000/", "") == "http://127.0.0.1:5000"
    assert sts_endpoint("", "eu-west-1") == "https://sts.eu-west-1.amazonaws.com"
    assert sts_endpoint("", "") == "https://sts.amazonaws.com"
