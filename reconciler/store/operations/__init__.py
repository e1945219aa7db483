"""Running a store in production: HA (one active node holding a lock) and snapshots (saved,
restored, scheduled)."""
