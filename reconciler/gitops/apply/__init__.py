"""Run a saved Plan against a store: lock, stale check, ordered changes, inventory, history."""
