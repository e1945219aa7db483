"""The one transport of every client `connect` builds: hvac's JSON adapter, translating failures.

Every failed request leaves here as a `reconciler.client.errors.ClientError` naming the
method, the API path and the server address (see `errors.py`), so no caller maps hvac or
requests exceptions itself.
"""

from __future__ import annotations

from typing import Any

import hvac.adapters
import hvac.exceptions
import requests

from reconciler.client import tokenstate
from reconciler.client.errors import TokenState, translate


class TranslatingAdapter(hvac.adapters.JSONAdapter):
    """hvac's JSON adapter whose errors say where they happened and what to do."""

    # Set by `connect`: where the address and the token came from, for the hints.
    address_source: str = "-address"
    token_source: str = ""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """hvac's request; a failure is raised as the matching client error."""
        try:
            return super().request(*args, **kwargs)
        except (hvac.exceptions.VaultError, requests.exceptions.RequestException) as exc:
            error = translate(exc, self.base_uri, self.address_source, self._token_state)
            if error is None:
                raise
            raise error from exc

    def _token_state(self) -> TokenState:
        """Ask the server about the token this adapter sends (for a 403's hint)."""
        token, source = self.token, self.token_source
        if not token:
            return TokenState("missing", "")
        try:
            response = hvac.adapters.RawAdapter.request(
                self, "get", "/v1/auth/token/lookup-self", raise_exception=False
            )
        except requests.exceptions.RequestException:
            return TokenState("unknown", source)
        if response.ok:
            data = (response.json() or {}).get("data") or {}
            return TokenState("valid", source, tuple(data.get("policies") or ()))
        expired_at = tokenstate.expired_at(token)
        if expired_at:
            return TokenState("expired", source, expired_at=expired_at)
        return TokenState("unknown", source)
