"""The shared token_* fields and CIDR helpers."""

from __future__ import annotations

import pytest

from reconciler.store.auth.cidr import addr_allowed, cidrs_within, parse_cidrs
from reconciler.store.auth.token_fields import TokenParams, login_display_name, token_fields
from reconciler.store.errors import BadRequest
from reconciler.store.framework import FieldData
from reconciler.store.logical import Auth


def parse(raw: dict[str, object], params: TokenParams | None = None) -> TokenParams:
    params = params or TokenParams()
    params.update(FieldData(raw, token_fields(["policies", "ttl"]), {}), ["policies", "ttl"])
    return params


def test_hvac_style_strings_are_parsed() -> None:
    params = parse(
        {
            "token_policies": "B, a,a",
            "token_ttl": "1h",
            "token_max_ttl": 7200,
            "token_bound_cidrs": "10.0.0.1,192.168.0.0/24",
            "token_num_uses": "3",
            "token_no_default_policy": "true",
        }
    )
    assert params.policies == ["a", "b"]
    assert (params.ttl, params.max_ttl, params.num_uses) == (3600, 7200, 3)
    assert params.bound_cidrs == ["10.0.0.1/32", "192.168.0.0/24"]
    auth = params.fill(Auth())
    assert auth.no_default_policy and auth.policies == ["a", "b"] and auth.token_type == "service"


def test_legacy_name_is_shown_until_the_new_one_is_used() -> None:
    params = parse({"policies": "x", "ttl": "5m"})
    assert params.render()["policies"] == ["x"] and params.render()["ttl"] == 300
    parse({"token_policies": "y"}, params)
    rendered = params.render()
    assert "policies" not in rendered and rendered["token_policies"] == ["y"]
    assert rendered["ttl"] == 300


def test_invalid_combinations_leave_params_unchanged() -> None:
    params = parse({"token_ttl": 10})
    with pytest.raises(BadRequest, match="cannot be greater"):
        parse({"token_ttl": 100, "token_max_ttl": 50}, params)
    with pytest.raises(BadRequest, match="batch"):
        parse({"token_type": "batch", "token_period": 60}, params)
    assert params.ttl == 10 and params.token_type == "default"
    batch = parse({"token_type": "batch"}).fill(Auth())
    assert batch.token_type == "batch"


def test_round_trip_through_json() -> None:
    params = parse({"policies": "a", "token_period": "1m"})
    assert TokenParams.from_json(params.to_json()) == params


def test_display_names() -> None:
    assert login_display_name("approle/", "") == "approle"
    assert login_display_name("jwt/", "alice") == "jwt-alice"
    assert login_display_name("auth/ci/github/", "repo") == "ci-github-repo"


def test_cidr_helpers() -> None:
    assert addr_allowed("10.1.2.3", ["10.0.0.0/8"])
    assert not addr_allowed("11.1.2.3", ["10.0.0.0/8"])
    assert not addr_allowed("", ["10.0.0.0/8"])
    assert addr_allowed("", [])
    assert addr_allowed("::1", ["::1/128"])
    assert cidrs_within(["10.1.0.0/16"], ["10.0.0.0/8"])
    assert not cidrs_within(["10.0.0.0/8"], ["10.1.0.0/16"])
    assert not cidrs_within(["::1/128"], ["10.0.0.0/8"])
    with pytest.raises(BadRequest, match="invalid CIDR"):
        parse_cidrs(["300.1.1.1/8"], "token_bound_cidrs")
