"""`bqa eval`: run a gold Q&A set through several systems, score passages and answers, write a report.

    gold.py     load and validate gold JSONL; locate each evidence (and the answer in it) in the corpus
    metrics.py  the scoring rules (passage hit by offsets, exact-answer accuracy) and aggregates; the gate
    runner.py   build/load what each system needs, ask every question, write the outputs
    report.py   report.md and chart.png from the metrics
"""
