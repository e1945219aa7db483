"""A real STS/IAM API on loopback: `moto_server`, with SigV4 signatures checked.

moto checks signatures only once its first `INITIAL_NO_AUTH_ACTION_COUNT` actions are spent;
those go to making an administrator whose keys every later call uses, so a tampered login
request is refused by STS as AWS would refuse it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.support.servers import free_port

ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@dataclass
class StsServer:
    """A running moto server and the administrator keys that manage it."""

    url: str
    process: subprocess.Popen[bytes]
    admin_key: str
    admin_secret: str

    def iam(self) -> Any:
        """A boto3 IAM client with the administrator's keys."""
        return boto3.client(
            "iam",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=self.admin_key,
            aws_secret_access_key=self.admin_secret,
        )

    def sts(self) -> Any:
        """A boto3 STS client with the administrator's keys."""
        return boto3.client(
            "sts",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=self.admin_key,
            aws_secret_access_key=self.admin_secret,
        )

    def new_user(self, name: str) -> tuple[str, str, str]:
        """Create an IAM user with an access key: (its ARN, key id, secret key)."""
        iam = self.iam()
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return arn, key["AccessKeyId"], key["SecretAccessKey"]

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        self.process.wait(timeout=10)


def moto_binary() -> str | None:
    """The `moto_server` next to this interpreter, or on PATH."""
    beside = Path(sys.executable).with_name("moto_server")
    return str(beside) if beside.exists() else shutil.which("moto_server")


def start_sts(required: bool) -> Iterator[StsServer]:
    """Start moto on a free port (skip, or fail when `required`, without the binary)."""
    binary = moto_binary()
    if binary is None:
        if required:
            pytest.fail("moto_server is not installed (pip install 'moto[server]')")
        pytest.skip("moto_server is not installed")
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, process)
        server = StsServer(url, process, *_make_admin(url))
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("moto_server exited at start")
        try:
            httpx.get(url + "/moto-api/", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail("moto_server did not start within 60 s")


def _make_admin(url: str) -> tuple[str, str]:
    # The three unauthenticated actions moto allows.
    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    iam.create_user(UserName="sealkeep-admin")
    iam.put_user_policy(
        UserName="sealkeep-admin", PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY)
    )
    key = iam.create_access_key(UserName="sealkeep-admin")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
