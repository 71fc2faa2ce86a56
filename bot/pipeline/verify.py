"""Verify: the probability that a fact states what the question asks, from a trained model.

The model is gradient-boosted trees over the pair features of bot/pipeline/features.py,
fitted at index time on the facts' own questions and near-misses (bot/build/training.py),
exported to ONNX and stored beside the index. Serving runs it in ONNX Runtime.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.lexicon import word_frequency
from bot.pipeline.features import NAMES, FactProfile, Features, QuestionView
from bot.pipeline.text import STOPWORDS, Article, sounds_in

_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")
# Too general to be what a question is about ("文章没有提到山西的…" says nothing).
_GENERAL = {"山西", "全省", "全国", "工会", "职工", "文章", "我们", "今年", "去年", "目前", "现在"}
# A missing word is named back to the user only if it is a common word (jieba's count), not a typo.
_COMMON = 100
# Nouns that name no attribute (什么时候, 这事情): never what the article leaves out.
_VAGUE = {"时候", "事情", "事儿", "东西", "样子"}

# The code that defines the features and fits the model: its digest goes in the index
# manifest, so an index trained by other code is stale (and rebuilt by `make index`).
_SOURCES = ("pipeline/text.py", "pipeline/features.py", "pipeline/verify.py", "pipeline/adapt.py",
            "build/training.py", "build/adapter.py")
VERSION = hashlib.sha256(b"".join((Path(__file__).resolve().parent.parent / f).read_bytes()
                                  for f in _SOURCES)).hexdigest()[:16]
FILES = ("learned.npz", "verifier.onnx", "profiles.json")


@dataclass(frozen=True)
class Verdict:
    """One candidate fact and how likely it states what is asked."""

    fact_id: str
    p: float


@dataclass
class Model:
    """Everything the verifier learned or precomputed at build time."""

    article: Article
    profiles: dict[str, FactProfile]
    answerable: tuple[np.ndarray, float]   # logistic regression on the question's vector
    graph: bytes                            # the pair classifier, as ONNX
    adapter: np.ndarray                     # the linear map applied to every e5 vector

    def __post_init__(self):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = 1, 1
        opts.log_severity_level = 3  # it warns that the label output has a batch dimension
        self._session = ort.InferenceSession(self.graph, opts, providers=["CPUExecutionProvider"])

    def save(self, folder: Path) -> None:
        np.savez(folder / FILES[0], answerable_w=self.answerable[0],
                 answerable_b=np.array([self.answerable[1]], dtype=np.float32), adapter=self.adapter)
        (folder / FILES[1]).write_bytes(self.graph)
        (folder / FILES[2]).write_text(json.dumps(
            {"features": list(NAMES), "article": self.article.to_json(),
             "facts": {fid: p.to_json() for fid, p in self.profiles.items()}}, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> "Model":
        with np.load(folder / FILES[0], allow_pickle=False) as z:
            answerable = (z["answerable_w"], float(z["answerable_b"][0]))
            adapter = z["adapter"]
        data = json.loads((folder / FILES[2]).read_text(encoding="utf-8"))
        if data["features"] != list(NAMES):
            raise ValueError("the verifier was trained on other features")
        profiles = {fid: FactProfile.from_json(d) for fid, d in data["facts"].items()}
        return cls(Article.from_json(data["article"]), profiles, answerable, (folder / FILES[1]).read_bytes(), adapter)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """P(the fact states what is asked), per row of pair features."""
        return self._session.run(["probabilities"], {"X": X.astype(np.float32)})[0][:, 1]


class Verifier:
    """Scores candidate facts for a question with the model stored beside the index."""

    def __init__(self, model: Model, index, rows: np.ndarray):
        self.model = model
        self.features = Features(model.article, model.profiles, index, rows, model.answerable)

    @classmethod
    def load(cls, index) -> "Verifier":
        rows = index.faiss.reconstruct_n(0, index.faiss.ntotal)
        return cls(Model.load(Path(index.root)), index, rows)

    def read(self, text: str, vector: np.ndarray) -> QuestionView:
        return self.features.question(text, vector)

    def score(self, qv: QuestionView, fact_ids: list[str]) -> tuple[Verdict, ...]:
        """A verdict per candidate, in the order given."""
        if not fact_ids:
            return ()
        p = self.model.predict(self.features.pairs(qv, list(fact_ids)))
        return tuple(Verdict(fid, round(float(v), 4)) for fid, v in zip(fact_ids, p))

    def gap(self, qv: QuestionView, fact_id: str) -> tuple[str, tuple[str, ...]]:
        """What the question is about that the article names (its subject), and the asked-for
        nouns the article never uses: 郭凤莲今年多大岁数 → (郭凤莲, (岁数,))."""
        article, own = self.model.article, self.model.profiles[fact_id].own
        names = sorted((n for n in article.names if n in qv.text and n not in _GENERAL),
                       key=lambda n: (n in own, len(n)), reverse=True)
        ends = {0}
        for word, _ in qv.reading.tokens:
            ends.add(max(ends) + len(word))
        subject = _widen(names[0], qv.text, article.text, ends) if names else ""
        missing, run, pos = [], "", 0
        for word, tag in qv.reading.tokens:
            start, pos = pos, pos + len(word)
            if (_CJK_WORD.fullmatch(word) and word not in STOPWORDS and tag.startswith(("n", "vn"))
                    and word not in subject and word not in _VAGUE and not article.knows(word)
                    and word_frequency(word) >= _COMMON
                    and not _straddles(qv.text, start, pos, article.text)):
                run += word
            elif run:
                missing.append(run)
                run = ""
        missing.append(run)
        return subject, tuple(m for m in missing if len(m) >= 2)[:2]

    def unknown_name(self, qv: QuestionView) -> str:
        """The first name the question uses that the article does not, unless jieba cut it
        across one of the article's words (省委书记对 → 记对, 拉人建工会 → 人建: an artefact of the
        cut, not a name to tell the user the article leaves out)."""
        article = self.model.article.text
        for name in qv.unknown_names:
            start = qv.text.find(name)
            if start >= 0 and not _straddles(qv.text, start, start + len(name), article):
                return name
        return ""

    def explain(self, qv: QuestionView, fact_id: str) -> dict[str, float]:
        """The feature values behind one verdict, by name (for `python -m bot explain`)."""
        row = self.features.pairs(qv, [fact_id])[0]
        return {name: round(float(v), 4) for name, v in zip(NAMES, row) if not math.isnan(v)}

    def uncovered(self, qv: QuestionView, fact_id: str) -> list[str]:
        """The question's words that neither the fact nor any way of asking it uses."""
        return self.features.uncovered(qv, fact_id)



def _widen(name: str, question: str, article: str, ends: set[int]) -> str:
    """The name grown, character by character, while the question's run of Chinese around it
    still stands in the article, to the last word boundary (`ends`) reached (西山 → 西山煤电集团
    in 西山煤电集团去年利润有多少; never 全国 → 全国劳 in 全国劳摸)."""
    start = question.find(name)
    end = best = start + len(name)
    while end < len(question) and _CJK_WORD.fullmatch(question[end]) and question[start:end + 1] in article:
        end += 1
        best = end if end in ends else best
    while start > 0 and _CJK_WORD.fullmatch(question[start - 1]) and question[start - 1:best] in article \
            and start - 1 in ends:
        start -= 1
    return question[start:best]


def _straddles(text: str, start: int, end: int, article: str) -> bool:
    """Whether an article word crosses an edge of text[start:end], so that jieba's cut there is
    an artefact (文化节省里 → 节省: 文化节 is the article's word, 节省 is no question of the user's)."""
    return any(0 <= i < len(text) - 1 and text[i:i + 2] in article for i in (start - 1, end - 1))
