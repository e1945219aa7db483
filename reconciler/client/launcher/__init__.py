"""`sealkeep run`: start a command with its secrets in its environment, and keep them fresh.

refs (which secret goes in which variable), identity (log in as the platform identity),
secrets (read them, KV or dynamic, with their versions and leases), supervisor (start the
child, renew, restart on rotation, forward signals, revoke on exit).
"""
