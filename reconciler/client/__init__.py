"""The store client: library functions over `hvac` that the CLI and the reconciler share.

Each module mirrors one area of the Vault HTTP API (sys, kv, policies, tokens, mounts, auth
logins, leases, generic paths). Functions take an `hvac.Client`, return a `Result` or
`Listing`, and raise `ClientInputError` for input the user can fix; server errors stay
`hvac.exceptions.VaultError` and unreachable servers `requests.ConnectionError`.
"""
