"""The words the page (qa.app) and the text output (qa.render) both say, once, in both languages: a label
changed here changes in both. Each keeps its own words around them (its punctuation, its sentences)."""

from __future__ import annotations

WORDS = {
    "zh": {"page": "第 {n} 页", "sure": "可信度", "also": "同文见", "likeliest": "最可能的读数所在段落",
           "(": "（", ")": "）", ",": "，"},
    "en": {"page": "page {n}", "sure": "P(right)", "also": "also in", "likeliest": "the passage of the likeliest reading",
           "(": "(", ")": ")", ",": ", "},
}
