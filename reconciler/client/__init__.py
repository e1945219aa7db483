"""The store client: the Vault HTTP API as library functions, over `hvac`.

Each module mirrors one area of the API (sys, kv, policies, tokens, mounts, auth logins,
leases, generic paths, audit devices). Functions take an `hvac.Client`, return a `Result` or
`Listing`, and raise `ClientInputError` for input the user can fix. A client from
`connection.connect` has one transport (`transport.py`) that turns every failed request into
a `SealkeepError` naming the method, API path and address with a hint (`errors.py`); each is
still the `hvac.exceptions` class of its status (or `requests.ConnectionError` for an
unreachable server), so callers catching those keep working. `kvread.py` reads a KV secret
with the standard library alone, for a fast `sealkeep kv get`.

Rule: imports only `reconciler.vocabulary`, so it works the same against Sealkeep, Vault or
OpenBao.
"""
