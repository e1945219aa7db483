"""Sign the `sts:GetCallerIdentity` request an AWS IAM login sends (Vault's `iam` login).

The caller's credentials come from botocore's usual chain (environment, shared files, the
instance or task role); they never leave the process: only the signed request is sent.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from reconciler.client.errors import ClientInputError

SERVER_ID_HEADER = "X-Vault-AWS-IAM-Server-ID"
BODY = "Action=GetCallerIdentity&Version=2011-06-15"


def sts_url(region: str) -> str:
    """The STS URL a login is signed for: the global endpoint for us-east-1, else regional."""
    if not region or region == "us-east-1":
        return "https://sts.amazonaws.com/"
    return f"https://sts.{region}.amazonaws.com/"


def iam_login_fields(role: str = "", header_value: str = "", region: str = "") -> dict[str, Any]:
    """The body of `auth/<mount>/login` for an `iam` login, signed with botocore credentials.

    Raises ClientInputError when botocore finds no AWS credentials.
    """
    import botocore.auth
    import botocore.session
    from botocore.awsrequest import AWSRequest

    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise ClientInputError(
            "no AWS credentials found",
            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with an "
            "instance or task role",
        )
    url = sts_url(region)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Host": url.split("/")[2],
    }
    if header_value:
        headers[SERVER_ID_HEADER] = header_value
    request = AWSRequest(method="POST", url=url, data=BODY, headers=headers)
    signer = botocore.auth.SigV4Auth(
        credentials.get_frozen_credentials(), "sts", region or "us-east-1"
    )
    signer.add_auth(request)
    signed = {name: [value] for name, value in request.headers.items()}
    fields: dict[str, Any] = {
        "iam_http_request_method": "POST",
        "iam_request_url": base64.b64encode(url.encode()).decode(),
        "iam_request_body": base64.b64encode(BODY.encode()).decode(),
        "iam_request_headers": base64.b64encode(json.dumps(signed).encode()).decode(),
    }
    if role:
        fields["role"] = role
    return fields
