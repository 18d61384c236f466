"""Question analysis: one typed ``Query`` per question, read by retrieval and answering alike."""

from qa.query.analyze import (
    Intent,
    NameMap,
    Operation,
    Query,
    analyze,
    language_of,
    place_cores,
    sense_forms,
    term_weights,
)
from qa.query.lexicon import Lexicon

__all__ = ["Intent", "Lexicon", "NameMap", "Operation", "Query", "analyze", "language_of", "place_cores",
           "sense_forms", "term_weights"]
