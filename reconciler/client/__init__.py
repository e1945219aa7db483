"""The store client: the Vault HTTP API as library functions, over `hvac`.

Each module mirrors one area of the API (sys, kv, policies, tokens, mounts, auth logins,
leases, generic paths). Functions take an `hvac.Client`, return a `Result` or `Listing`, and
raise `ClientInputError` for input the user can fix; server errors stay
`hvac.exceptions.VaultError` and unreachable servers `requests.ConnectionError`.

Rule: imports only `reconciler.vocabulary`, so it works the same against Sealkeep, Vault or
OpenBao.
"""
