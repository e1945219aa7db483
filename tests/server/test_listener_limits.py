"""The listener's limits as the config file sets them, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.server.config import ConfigError, load_config
from reconciler.server.limits import ListenerLimits


def _config(tmp_path: Path, options: str) -> Path:
    path = tmp_path / "server.hcl"
    path.write_text(
        'storage "sqlite" {\n  path = "store.db"\n}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:8200"\n{options}}}\n'
    )
    return path


def test_vault_named_listener_options_are_read(tmp_path: Path) -> None:
    config = load_config(
        _config(
            tmp_path,
            '  http_idle_timeout = "2m"\n  http_read_header_timeout = "5s"\n'
            "  http_read_timeout = 20\n  max_request_size = 1048576\n"
            '  max_request_duration = "45s"\n  max_connections = 64\n',
        )
    )
    assert config.listener.limits == ListenerLimits(
        http_idle_timeout=120,
        http_read_header_timeout=5,
        http_read_timeout=20,
        max_request_size=1048576,
        max_request_duration=45,
        max_connections=64,
    )


def test_defaults_close_a_slowloris_within_30_seconds(tmp_path: Path) -> None:
    limits = load_config(_config(tmp_path, "")).listener.limits
    assert limits.http_read_header_timeout <= 30
    assert limits.http_read_timeout <= 30
    assert limits.http_idle_timeout <= 30


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ('  http_read_header_timeout = "soon"\n', "http_read_header_timeout"),
        ('  http_idle_timeout = "0s"\n', "must be positive"),
        ('  max_connections = "many"\n', "max_connections"),
        ('  http_read_timeout = "1e999h"\n', "http_read_timeout"),
    ],
)
def test_bad_limits_are_refused_naming_the_setting(
    tmp_path: Path, option: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_config(tmp_path, option))
