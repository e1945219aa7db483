"""End-to-end fixtures: every story runs against each target in tests.support.targets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.targets import TARGETS, Target, start_target


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """A fresh server per module and target: the example uses fixed mounts (secret/, ...)."""
    started = start_target(request.param, tmp_path_factory.mktemp(request.param))
    yield started
    started.stop()
