"""A bounded load test of the real server: 50 questions from 10 concurrent gradio_client clients on loopback."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_browser import Server, real_index_dir

pytestmark = pytest.mark.browser

CLIENTS = 10
PER_CLIENT = 5
QUESTIONS = [
    "区监委留置了多少人？",
    "2025年本区地方政府债务限额是多少？",
    "What is the district's 2025 local government debt limit?",
    "2023年本区地方政府债务限额是多少？",
    "全区监察组织立案多少人？",
    "2024年末本区地方政府债务余额是多少？",
    "12345市民服务热线存在哪些问题？",
    "How many people were placed in detention?",
    "黄浦区留置了多少人？",
    "“两旧”改造工作推进情况如何？",
]
CONTRACT = {"id", "question", "answer", "abstained", "passages", "latency_ms"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, real_index):
    server = Server(real_index_dir(real_index), tmp_path_factory.mktemp("load") / "server.log")
    yield server
    server.stop()


def run_client(url: str, worker: int) -> list[tuple[float, str | None]]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    out = []
    for n in range(PER_CLIENT):
        question = QUESTIONS[(worker * PER_CLIENT + n) % len(QUESTIONS)]
        t0 = time.perf_counter()
        try:
            result = client.predict(question, 5, api_name="/ask")
            problem = None
            if not isinstance(result, dict) or "error" in result or not result.keys() >= CONTRACT:
                problem = f"{question}: bad result {str(result)[:200]}"
            elif (result["answer"] is None) != result["abstained"]:
                problem = f"{question}: answer/abstained disagree"
        except Exception as err:  # counted, reported below
            problem = f"{question}: {type(err).__name__}: {err}"
        out.append((time.perf_counter() - t0, problem))
    return out


def test_fifty_questions_ten_clients(server):
    from gradio_client import Client

    Client(server.url, verbose=False).predict("区监委留置了多少人？", 5, api_name="/ask")  # warm the model
    rss_before = server.rss_mb
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [r for batch in pool.map(lambda w: run_client(server.url, w), range(CLIENTS)) for r in batch]
    wall = time.perf_counter() - t0
    rss_after = server.rss_mb
    latencies = sorted(s * 1000 for s, _ in results)
    errors = [p for _, p in results if p]
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * len(latencies)) - 1)]
    print(f"\nload: {len(results)} questions, {CLIENTS} clients, {len(errors)} errors, wall {wall:.1f} s, "
          f"{len(results) / wall:.1f} q/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms, "
          f"server RSS {rss_before:.0f} MB -> {rss_after:.0f} MB")
    assert len(results) == CLIENTS * PER_CLIENT
    assert errors == []
