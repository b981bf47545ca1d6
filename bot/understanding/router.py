"""The intent router: which of the catalogue's intents a message asks for, and how sure it is.

    router = Router.from_catalogue(Path("personalities/intents/catalogue.yaml"))
    router.route("mera card block karo")
    Routed(intent='block_card', confidence=0.93, alternatives=(('block_card', 0.93), ('unblock_card', 0.04), ...))

Local and fast, no network, no model files: the model is trained from the catalogue's examples when the
router is built (about a second; once per catalogue content per process, see `from_catalogue`).

- Text is normalised (bot/understanding/normalise.py), then turned into TF-IDF weights of character
  n-grams of 2 to 5 characters inside word boundaries (`char_wb`). Character n-grams work the same for
  every script, survive romanized spelling variants ("paise"/"paisa", "kat gaya"/"kat gya") and mixed
  script messages, and need no tokeniser per language.
- A linear SVM (scikit-learn LinearSVC, one-vs-rest) scores every intent. Its margins become a
  confidence with a softmax whose temperature (`scale`) is fitted at training time on out-of-fold scores (5-fold
  cross-validation over the catalogue, minimising log loss), so a confidence of 0.8 means roughly
  "right 8 times in 10" on sentences the model did not train on, and a threshold means something.
- An exact button label (the i18n catalog's text of a `button:` key, in any language) maps to its
  intent with confidence 1.0: a tap is not a guess.

`CLARIFY_BELOW`: below this confidence the bot should ask what the customer means instead of starting a
workflow. Chosen from `make eval` (bench/eval.py prints the calibration table): the confidence under
which the router's answers are more often wrong than right on the evaluation sets.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from bot.understanding.catalogue import OUT_OF_SCOPE, IntentCatalogue, parse_catalogue, read_catalogue_bytes
from bot.understanding.normalise import normalise
from i18n.catalog import all_translations

__all__ = ["CLARIFY_BELOW", "OUT_OF_SCOPE", "Routed", "Router"]

# Chosen from `make eval`'s calibration table (both evaluation sets, top-1 answers by confidence band):
# in every band below 0.6 the router's wrong answers outnumber its right ones (0.5-0.6: 395 right,
# 437 wrong); from 0.6 up, right ones outnumber wrong. So below 0.6 an answer is more likely wrong than
# right and the bot asks instead. A higher threshold declines more out-of-scope messages but asks
# back on more clear requests; bench/eval.py prints that trade-off too.
CLARIFY_BELOW = 0.6

NGRAMS = (2, 5)
SVM_C = 1.0
ALTERNATIVES = 3
_FOLDS = 5
_SCALES = tuple(float(t) for t in np.geomspace(0.5, 60.0, 40))
_CACHE_SIZE = 8


@dataclass(frozen=True)
class Routed:
    intent: str  # a catalogue intent name; "out_of_scope" for what the bot does not do
    confidence: float  # 0..1; compare with CLARIFY_BELOW
    # The top 3 (intent, confidence), best first (the first is `intent`); a button tap has only itself.
    alternatives: tuple[tuple[str, float], ...]


class Router:
    """A trained router for one catalogue. Immutable after construction; safe to share between threads."""

    def __init__(self, catalogue: IntentCatalogue):
        self.catalogue = catalogue
        texts, labels = _training_set(catalogue)
        self.intents: tuple[str, ...] = tuple(sorted(set(labels)))
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True,
                                           lowercase=False, dtype=np.float32)
        matrix = self._vectorizer.fit_transform(texts)
        y = np.array([self.intents.index(label) for label in labels])
        self.scale = _fit_scale(matrix, y, len(self.intents))
        model = _svm().fit(matrix, y)
        # Scores are one sparse row times a dense (features x intents) matrix: no per-call sklearn checks.
        self._weights = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self._bias = model.intercept_.astype(np.float32)
        self._buttons: Mapping[str, str] = MappingProxyType({
            label: intent.name for intent in catalogue.intents if intent.button
            for label in all_translations(intent.button)})

    @classmethod
    def from_catalogue(cls, path: Path | str) -> Router:
        """The router for the catalogue file at `path`, trained once per file content per process.

        Raises ConfigError (file:line: field: message) for a catalogue that does not validate. Training
        takes about a second: call it at start-up or off the event loop (asyncio.to_thread)."""
        raw = read_catalogue_bytes(path)
        digest = hashlib.sha256(raw).hexdigest()
        with _LOCK:  # one training per content, even when several apps start at once
            router = _ROUTERS.get(digest)
            if router is None:
                router = cls(parse_catalogue(raw, path))
                if len(_ROUTERS) >= _CACHE_SIZE:
                    _ROUTERS.pop(next(iter(_ROUTERS)))
                _ROUTERS[digest] = router
        return router

    def route(self, text: str) -> Routed:
        button = self._buttons.get(text.strip())
        if button is not None:
            return Routed(button, 1.0, ((button, 1.0),))
        probabilities = self.probabilities(text)
        top = np.argsort(-probabilities)[:ALTERNATIVES]
        alternatives = tuple((self.intents[i], round(float(probabilities[i]), 4)) for i in top)
        return Routed(alternatives[0][0], alternatives[0][1], alternatives)

    def probabilities(self, text: str) -> np.ndarray:
        """Confidence per intent (in `self.intents` order), summing to 1."""
        features = self._vectorizer.transform([normalise(text)])
        scores = (features @ self._weights).ravel() + self._bias
        return _softmax(scores, self.scale)


def _training_set(catalogue: IntentCatalogue) -> tuple[list[str], list[str]]:
    seen: set[str] = set()
    texts: list[str] = []
    labels: list[str] = []
    for intent, _language, example in catalogue.examples():
        key = normalise(example)
        if key not in seen:  # the same sentence in two languages' lists (a shared word) trains once
            seen.add(key)
            texts.append(key)
            labels.append(intent)
    return texts, labels


def _svm() -> LinearSVC:
    return LinearSVC(C=SVM_C, random_state=0)


def _fit_scale(matrix, y: np.ndarray, classes: int) -> float:
    """The factor on SVM margins (an inverse softmax temperature) that best turns held-out margins into
    probabilities (least log loss on out-of-fold scores)."""
    folds = min(_FOLDS, int(np.bincount(y, minlength=classes).min()))
    if folds < 2:
        return 10.0  # too few examples to fit: a moderate default
    scores = np.zeros((len(y), classes), dtype=np.float64)
    for train, held_out in StratifiedKFold(folds, shuffle=True, random_state=0).split(matrix, y):
        model = _svm().fit(matrix[train], y[train])
        scores[held_out] = model.decision_function(matrix[held_out])
    best, best_loss = 1.0, float("inf")
    for scale in _SCALES:
        probabilities = _softmax_rows(scores, scale)
        loss = -np.log(np.clip(probabilities[np.arange(len(y)), y], 1e-12, None)).mean()
        if loss < best_loss:
            best, best_loss = scale, loss
    return best


def _softmax(scores: np.ndarray, scale: float) -> np.ndarray:
    z = scores.astype(np.float64) * scale
    z -= z.max()
    e = np.exp(z)
    return e / e.sum()


def _softmax_rows(scores: np.ndarray, scale: float) -> np.ndarray:
    z = scores * scale
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


_LOCK = threading.Lock()
_ROUTERS: dict[str, Router] = {}
