"""The `sealkeep` command: click commands that parse, call one library function, render.

No logic lives here; the one error handler (`errors.py`) maps every error to a message and an
exit code. Commands are imported only when they run, so start-up stays fast.

Rule: the top; it may import any part, and no part imports it.
"""
