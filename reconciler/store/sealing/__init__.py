"""Keys and sealing: the barrier that encrypts every entry, init and unseal with Shamir shares,
auto-unseal seals (transit, static) with recovery keys and migration, and the key ceremonies
(rekey, root generation)."""
