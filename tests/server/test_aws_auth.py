"""AWS IAM auth (`auth/aws`, `iam` login) against a real STS API on loopback (moto server).

hvac's `iam_login` signs `sts:GetCallerIdentity` for sts.amazonaws.com; the server replays it
to moto, which checks the signature, and binds the ARN moto answers with to the role.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import botocore.auth
import httpx
import hvac
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import services_required
from tests.gitops.cli.store_cli import run
from tests.support.servers import ServerProcess
from tests.support.sts import StsServer, start_sts

BODY = "Action=GetCallerIdentity&Version=2011-06-15"


@pytest.fixture(scope="module")
def sts() -> Iterator[StsServer]:
    """One moto server for the module."""
    yield from start_sts(services_required())


@pytest.fixture
def aws_mount(vault: hvac.Client, sts: StsServer, unique: str) -> Iterator[str]:
    """An `aws` auth mount replaying logins to moto and resolving ids there."""
    vault.sys.enable_auth_method("aws", path=unique)
    vault.write(
        f"auth/{unique}/config/client",
        sts_endpoint=sts.url,
        iam_endpoint=sts.url,
        access_key=sts.admin_key,
        secret_key=sts.admin_secret,
    )
    yield unique
    vault.sys.disable_auth_method(unique)


def _signed_login(key: str, secret: str, header_value: str = "") -> dict[str, str]:
    """The login fields hvac would send, signed with botocore (so a test can change them)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if header_value:
        headers["X-Vault-AWS-IAM-Server-ID"] = header_value
    request = AWSRequest(
        method="POST", url="https://sts.amazonaws.com/", data=BODY, headers=headers
    )
    botocore.auth.SigV4Auth(Credentials(key, secret), "sts", "us-east-1").add_auth(request)
    signed = {k: [v] for k, v in request.headers.items()}
    return {
        "iam_http_request_method": "POST",
        "iam_request_url": base64.b64encode(b"https://sts.amazonaws.com/").decode(),
        "iam_request_body": base64.b64encode(BODY.encode()).decode(),
        "iam_request_headers": base64.b64encode(json.dumps(signed).encode()).decode(),
    }


def _post_login(server: ServerProcess, mount: str, fields: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/auth/{mount}/login", json=fields, timeout=30)


def _headers_of(fields: dict[str, str]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = json.loads(base64.b64decode(fields["iam_request_headers"]))
    return headers


def _with_headers(fields: dict[str, str], headers: dict[str, list[str]]) -> dict[str, str]:
    encoded = base64.b64encode(json.dumps(headers).encode()).decode()
    return {**fields, "iam_request_headers": encoded}


def test_a_bound_user_logs_in_with_hvac(
    vault: hvac.Client, dev_server: ServerProcess, sts: StsServer, aws_mount: str, unique: str
) -> None:
    arn, key, secret = sts.new_user(f"{unique}-app")
    vault.write(f"auth/{aws_mount}/role/app", bound_iam_principal_arn=arn, token_policies="app")
    role = vault.read(f"auth/{aws_mount}/role/app")["data"]
    assert role["bound_iam_principal_arn"] == [arn]
    assert role["resolve_aws_unique_ids"] is True
    assert len(role["bound_iam_principal_id"]) == 1

    client = dev_server.client(token="")
    answer = client.auth.aws.iam_login(key, secret, role="app", mount_point=aws_mount)
    assert answer["auth"]["policies"] == ["app", "default"]
    assert answer["auth"]["metadata"]["client_arn"] == arn
    assert client.lookup_token()["data"]["display_name"] == f"{aws_mount}-{unique}-app"


def test_a_wildcard_binds_every_matching_user(
    vault: hvac.Client, dev_server: ServerProcess, sts: StsServer, aws_mount: str, unique: str
) -> None:
    arn, key, secret = sts.new_user(f"{unique}-team-a")
    pattern = arn.rsplit("/", 1)[0] + f"/{unique}-team-*"
    vault.write(f"auth/{aws_mount}/role/team", bound_iam_principal_arn=pattern)
    client = dev_server.client(token="")
    answer = client.auth.aws.iam_login(key, secret, role="team", mount_point=aws_mount)
    assert answer["auth"]["metadata"]["canonical_arn"] == arn


def test_an_unbound_user_is_refused(
    vault: hvac.Client, dev_server: ServerProcess, sts: StsServer, aws_mount: str, unique: str
) -> None:
    bound, _, _ = sts.new_user(f"{unique}-app")
    other, key, secret = sts.new_user(f"{unique}-other")
    vault.write(f"auth/{aws_mount}/role/app", bound_iam_principal_arn=bound)
    with pytest.raises(hvac.exceptions.Forbidden) as refused:
        dev_server.client(token="").auth.aws.iam_login(
            key, secret, role="app", mount_point=aws_mount
        )
    assert f'IAM Principal "{other}" does not belong to the role "app"' in str(refused.value)


def test_a_role_naming_an_unknown_principal_is_refused(
    vault: hvac.Client, sts: StsServer, aws_mount: str, unique: str
) -> None:
    arn, _, _ = sts.new_user(f"{unique}-app")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="unable to resolve ARN"):
        vault.write(f"auth/{aws_mount}/role/ghost", bound_iam_principal_arn=arn + "-ghost")


def test_the_server_id_header_must_be_signed_with_the_configured_value(
    vault: hvac.Client, dev_server: ServerProcess, sts: StsServer, aws_mount: str, unique: str
) -> None:
    arn, key, secret = sts.new_user(f"{unique}-app")
    vault.write(f"auth/{aws_mount}/role/app", bound_iam_principal_arn=arn)
    vault.write(f"auth/{aws_mount}/config/client", iam_server_id_header_value="vault.example")
    client = dev_server.client(token="")
    for given in ("other.example", None):
        with pytest.raises(hvac.exceptions.Forbidden, match="X-Vault-AWS-IAM-Server-ID"):
            client.auth.aws.iam_login(
                key, secret, role="app", header_value=given, mount_point=aws_mount
            )

    # The right value, but added after signing: STS would not see it, so it is refused.
    fields = _signed_login(key, secret)
    headers = _headers_of(fields) | {"X-Vault-AWS-IAM-Server-ID": ["vault.example"]}
    unsigned = _post_login(dev_server, aws_mount, _with_headers(fields, headers) | {"role": "app"})
    assert unsigned.status_code == 403
    assert "vault header wasn't signed" in unsigned.json()["errors"][0]

    answer = client.auth.aws.iam_login(
        key, secret, role="app", header_value="vault.example", mount_point=aws_mount
    )
    assert answer["auth"]["client_token"]


def test_an_expired_signature_is_refused(
    dev_server: ServerProcess,
    vault: hvac.Client,
    sts: StsServer,
    aws_mount: str,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arn, key, secret = sts.new_user(f"{unique}-app")
    vault.write(f"auth/{aws_mount}/role/app", bound_iam_principal_arn=arn)
    # The client's clock: a request signed 20 minutes ago (captured, then replayed).
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at)
    fields = _signed_login(key, secret) | {"role": "app"}
    answer = _post_login(dev_server, aws_mount, fields)
    assert answer.status_code == 403
    assert "signature expired" in answer.json()["errors"][0]


def test_a_tampered_request_is_refused_by_sts(
    dev_server: ServerProcess, vault: hvac.Client, sts: StsServer, aws_mount: str, unique: str
) -> None:
    arn, key, secret = sts.new_user(f"{unique}-app")
    _, other_key, _ = sts.new_user(f"{unique}-other")
    vault.write(f"auth/{aws_mount}/role/app", bound_iam_principal_arn=arn)
    fields = _signed_login(key, secret) | {"role": "app"}
    assert _post_login(dev_server, aws_mount, fields).status_code == 200

    # The same signed request replayed with another key id: it no longer proves anything.
    headers = _headers_of(fields)
    headers["Authorization"] = [headers["Authorization"][0].replace(key, other_key)]
    answer = _post_login(dev_server, aws_mount, _with_headers(fields, headers))
    assert answer.status_code == 403
    assert "received error code 403 from STS" in answer.json()["errors"][0]
    assert secret not in answer.text


def test_a_body_that_is_not_get_caller_identity_is_a_bad_request(
    dev_server: ServerProcess, sts: StsServer, aws_mount: str, unique: str
) -> None:
    _, key, secret = sts.new_user(f"{unique}-app")
    fields = _signed_login(key, secret)
    fields["iam_request_body"] = base64.b64encode(b"Action=ListUsers&Version=2010-05-08").decode()
    answer = _post_login(dev_server, aws_mount, fields)
    assert answer.status_code == 400
    assert "GetCallerIdentity" in answer.json()["errors"][0]


def test_sealkeep_login_signs_with_the_callers_aws_credentials(
    vault: hvac.Client, dev_server: ServerProcess, sts: StsServer, aws_mount: str, unique: str
) -> None:
    arn, key, secret = sts.new_user(f"{unique}-app")
    vault.write(f"auth/{aws_mount}/role/app", bound_iam_principal_arn=arn, token_policies="app")
    vault.write(f"auth/{aws_mount}/config/client", iam_server_id_header_value="vault.example")
    env = {
        "VAULT_ADDR": dev_server.url,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    args = ["login", "-method=aws", f"-path={aws_mount}", "role=app"]
    result = run([*args, "header_value=vault.example"], env)
    assert result.code == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    token = (Path.home() / ".vault-token").read_text()
    assert dev_server.client(token=token).lookup_token()["data"]["policies"] == ["app", "default"]

    refused = run(args, env)
    assert refused.code == 1
    assert "X-Vault-AWS-IAM-Server-ID" in refused.stderr


def test_sealkeep_run_logs_in_with_aws_and_gives_the_command_its_secret(
    vault: hvac.Client, dev_server: ServerProcess, sts: StsServer, aws_mount: str, unique: str
) -> None:
    arn, key, secret = sts.new_user(f"{unique}-app")
    vault.sys.create_or_update_policy(
        unique, f'path "{unique}kv/app" {{ capabilities = ["read"] }}'
    )
    vault.write(f"auth/{aws_mount}/role/app", bound_iam_principal_arn=arn, token_policies=unique)
    vault.sys.enable_secrets_engine("kv", path=f"{unique}kv", options={"version": "1"})
    vault.write(f"{unique}kv/app", greeting="hello-from-kv1")
    env = {
        **os.environ,
        "VAULT_ADDR": dev_server.url,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    args = ["--auth=aws", f"--auth-path={aws_mount}", "--role=app"]
    args += [f"--secret=GREETING={unique}kv/app#greeting"]
    # The AWS credentials stay: they are the machine's, and the app may call AWS with them.
    child = 'test "$GREETING" = hello-from-kv1 || exit 9'
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler.cli.main", "run", *args, "--", "sh", "-c", child],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        vault.sys.disable_secrets_engine(f"{unique}kv")
    assert done.returncode == 0, done.stderr
    assert "revoked the token" in done.stderr
    assert secret not in done.stderr


def test_an_assumed_role_logs_in_as_its_role(
    vault: hvac.Client, dev_server: ServerProcess, sts: StsServer, aws_mount: str, unique: str
) -> None:
    # What EC2, ECS and Lambda workloads have: temporary credentials of an assumed role.
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role_arn = sts.iam().create_role(
        RoleName=f"{unique}-worker", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    assumed = sts.sts().assume_role(RoleArn=role_arn, RoleSessionName="i-0123456789")
    creds = assumed["Credentials"]
    vault.write(f"auth/{aws_mount}/role/worker", bound_iam_principal_arn=role_arn)
    answer = dev_server.client(token="").auth.aws.iam_login(
        creds["AccessKeyId"],
        creds["SecretAccessKey"],
        creds["SessionToken"],
        role="worker",
        mount_point=aws_mount,
    )
    metadata = answer["auth"]["metadata"]
    assert metadata["canonical_arn"] == role_arn
    assert metadata["client_arn"].endswith(f":assumed-role/{unique}-worker/i-0123456789")
