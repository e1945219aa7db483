"""`sealkeep server --config`: HCL and YAML files, TLS with a real certificate, bad configs."""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
import sys
from pathlib import Path

import hvac
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import (
    REPO_ROOT,
    free_port,
    init_and_unseal,
    refused_config,
    start_server,
)


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealkeep-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_listener_serves_hvac_with_the_ca(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    port = free_port()
    config = tmp_path / "server.hcl"
    config.write_text(
        f'storage "sqlite" {{\n  path = "{tmp_path / "store.db"}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
        f'  tls_cert_file = "{cert}"\n  tls_key_file = "{key}"\n}}\n'
        'default_lease_ttl = "1h"\nmax_lease_ttl = "2h"\n'
    )
    server = start_server(
        ["--config", str(config)], tmp_path / "tls.log", port, scheme="https", verify=str(cert)
    )
    try:
        client = hvac.Client(url=server.url, verify=str(cert))
        assert client.sys.is_initialized() is False
        result = client.sys.initialize(secret_shares=1, secret_threshold=1)
        client.sys.submit_unseal_key(result["keys"][0])
        client.token = result["root_token"]
        token = client.auth.token.create(policies=["default"])["auth"]
        assert token["lease_duration"] == 3600, "default_lease_ttl from the config file"
        with pytest.raises(Exception, match=r"(?i)certificate|ssl"):
            hvac.Client(url=server.url, verify=True).sys.is_initialized()
    finally:
        server.stop()


def test_yaml_config(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "server.yaml"
    config.write_text(
        f"storage:\n  sqlite:\n    path: {tmp_path / 'store.db'}\nlistener:\n  tcp:\n    address: 127.0.0.1:{port}\n"
    )
    server = start_server(["--config", str(config)], tmp_path / "yaml.log", port)
    try:
        init_and_unseal(server)
        assert server.client().sys.is_sealed() is False
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('storage "sqlite" {\n  path = \n', "cannot parse config"),
        ('storage "nosuch" {\n  path = "x"\n}\n', "nosuch"),
        ('listener "unix" {\n  address = "/tmp/s"\n}\n', 'listener "unix" is not supported'),
        ('colour = "blue"\n', "unknown settings: colour"),
        ('default_lease_ttl = "forever"\n', "invalid duration"),
    ],
)
def test_bad_config_is_a_clear_error_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "bad.hcl"
    config.write_text(text)
    stderr = refused_config(config)
    assert message in stderr and str(config) in stderr


def test_dev_and_config_are_exclusive(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler.cli.main", "server"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=30,
    )
    assert done.returncode == 1
    assert "exactly one of --dev or --config" in done.stderr
