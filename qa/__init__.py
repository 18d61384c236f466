"""Bulletin QA: exact, cited answers over People's Congress standing-committee bulletins."""

__version__ = "0.1.0"
