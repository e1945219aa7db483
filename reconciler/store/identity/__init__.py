"""Identity (Vault's `identity/` mount): entities, their aliases per auth mount, and groups.

`store.IdentityStore` keeps every object in memory (loaded at unseal, written through to the
barrier) so the request path resolves a token's group policies without touching storage;
`backend.IdentityBackend` is the HTTP-facing path table.
"""
