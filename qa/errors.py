"""One exception type for every user-facing failure: a single clear line, no traceback."""


class BqaError(Exception):
    """A problem the user can fix; ``str(err)`` is the one line shown to them (with the fix), and ``zh`` the same
    line in Chinese where one is written (the chat page answers in the reader's language)."""

    def __init__(self, message: str = "", *, zh: str | None = None):
        super().__init__(message)
        self.zh = zh

    def text(self, lang: str) -> str:
        """The line in ``lang`` ("zh" or "en"): the Chinese one when asked for and written, else the English."""
        return self.zh if lang == "zh" and self.zh else str(self)
