"""The one base of every error a user can act on.

A `SealkeepError` carries its message as written, where the problem is (`where`: a
file:line, a JSON path or an API path) and, when there is one, a `hint` saying what to do.
The CLI maps every `SealkeepError` to exit code 1 in one place (`Error: <where>: <message>`,
then `Hint: ...`); one marked `internal` (a server's 5xx) and anything else exit 3. The
store's `StoreError` (HTTP status codes) is one of them.
"""

from __future__ import annotations


class SealkeepError(Exception):
    """A user-facing error: `message`, optional `where` and `hint`.

    `str(error)` is the message alone, so existing callers that print an exception keep
    printing what they printed; `describe()` adds the place and the hint.
    """

    where: str | None = None
    hint: str | None = None
    # A fault of a server or of ours rather than of the user's input: the CLI exits 3.
    internal: bool = False

    def __init__(self, message: str = "", *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        if where is not None:
            self.where = where
        if hint is not None:
            self.hint = hint

    def describe(self) -> str:
        """The message prefixed by its place (when not already in it) and followed by the hint."""
        text = str(self)
        if self.where and not text.startswith(self.where):
            text = f"{self.where}: {text}"
        if self.hint:
            text = f"{text}\nHint: {self.hint}"
        return text
