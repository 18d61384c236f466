"""Exact answer extraction: from a question and its retrieved passages to a verbatim, cited span
of the bulletin (or an abstention).

    from qa.answering import analyze_question, extract_answer
    info = analyze_question("区监委留置了多少人？")          # QuestionInfo(kind="number", units=("人", …), …)
    result = extract_answer(question, passages, texts)     # Extraction(answer=Answer(text="37人", …), …)
"""

from .extract import DEFAULT_THRESHOLD, Extraction, extract_answer, pinyin_names
from .question import QuestionInfo, analyze_question

__all__ = [
    "DEFAULT_THRESHOLD", "Extraction", "QuestionInfo", "analyze_question", "extract_answer", "pinyin_names",
]
