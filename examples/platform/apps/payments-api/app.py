"""A stand-in for the payments API: it uses the secrets `sealkeep run` put in its environment.

It logs in to PostgreSQL with its own short-lived user and says who it is; values are never
printed. A real service would keep running (and be restarted by `sealkeep run` when a secret
changes); this one exits when told to, or at once with --once.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import psycopg


def main() -> int:
    """Connect with the leased login; print what was found, never a value."""
    user, password = os.environ["DB_USER"], os.environ["DB_PASSWORD"]
    with psycopg.connect(
        host="127.0.0.1", dbname="postgres", user=user, password=password, connect_timeout=5
    ) as conn:
        who = conn.execute("SELECT current_user").fetchone()[0]
    key = os.environ.get("STRIPE_API_KEY", "")
    print(f"payments-api: connected to PostgreSQL as {who}; Stripe key set ({len(key)} chars)")
    if "--once" in sys.argv:
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
