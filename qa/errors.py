"""One exception type for every user-facing failure: a single clear line, no traceback."""


class BqaError(Exception):
    """A problem the user can fix; ``str(err)`` is the one line shown to them (with the fix)."""
