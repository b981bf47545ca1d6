"""`make eval`: how well the intent router understands messages it never trained on.

Two sets, neither of them in the router's training examples (personalities/intents/catalogue.yaml):

1. BANKING77 (PolyAI, "Efficient Intent Detection with Dual Sentence Encoders", Casanueva et al. 2020;
   CC BY 4.0): 10,003 real customer queries to a bank, read from $BANKING77_DIR (default
   ../shared/data/banking77 next to the project). bench/banking77_mapping.yaml maps each of its 77
   labels to one of our intents or to out_of_scope.
2. bench/eval_multilingual.yaml: utterances in English, Hindi, Hinglish, Tamil, Telugu, Bengali and
   Marathi written for this project.

The eval refuses to run if a sentence of either set equals a training example after normalisation
(short everyday requests such as "change my pin" are easily written twice).

Scoring rule, the same for both: a row whose gold intent is one of ours is right when the router's top
intent is that intent; a row whose gold is out_of_scope is right when the router says out_of_scope or
its confidence is below CLARIFY_BELOW (the bot would ask a clarifying question instead of starting a
workflow). The stricter "acted on correctly" figure (right intent AND confidence >= CLARIFY_BELOW) is
printed too.

BANKING77 is split in two fixed halves by a hash of the text (`half_of`): "dev" and "held-out". When the
catalogue's examples are widened by looking at the router's mistakes, only dev rows are read (new
examples are written in our own words, never copied); the held-out half is the honest figure, and the
gap between the halves shows how much of a gain came from fitting what was looked at. The output ends with exactly:

    banking77_routing_accuracy=<0..1>
    multilingual_accuracy=<0..1>
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, RootModel

from bot.understanding.catalogue import INTENT_NAMES, LANGUAGES, OUT_OF_SCOPE, load_catalogue
from bot.understanding.normalise import normalise
from bot.understanding.router import CLARIFY_BELOW, Routed, Router
from bot.yaml_config import ConfigError, load_yaml_model

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "personalities" / "intents" / "catalogue.yaml"
MAPPING = ROOT / "bench" / "banking77_mapping.yaml"
MULTILINGUAL = ROOT / "bench" / "eval_multilingual.yaml"
DEFAULT_BANKING77 = ROOT.parent / "shared" / "data" / "banking77"
CREDIT = ("BANKING77 by PolyAI (Casanueva et al., 2020, \"Efficient Intent Detection with Dual Sentence "
          "Encoders\"), licensed CC BY 4.0.")


class LabelMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    intent: str
    why: str = Field(min_length=3, max_length=200)


class MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: dict[str, LabelMapping] = Field(min_length=1, max_length=200)


class MultilingualFile(RootModel[dict[str, dict[str, list[str]]]]):
    pass


def load_mapping(path: Path = MAPPING, labels: list[str] | None = None) -> dict[str, str]:
    """BANKING77 label -> intent. With `labels` (categories.json), each must be mapped exactly once."""
    mapping = load_yaml_model(path, MappingFile)
    errors = [f"{path}: label {label!r} maps to unknown intent {m.intent!r}"
              for label, m in mapping.labels.items() if m.intent not in INTENT_NAMES]
    if labels is not None:
        errors += [f"{path}: label {label!r} is not mapped" for label in labels if label not in mapping.labels]
        errors += [f"{path}: {label!r} is not a BANKING77 label" for label in mapping.labels if label not in labels]
    if errors:
        raise ConfigError(str(path), None, "labels", "; ".join(errors))
    return {label: m.intent for label, m in mapping.labels.items()}


def load_multilingual(path: Path = MULTILINGUAL) -> list[tuple[str, str, str]]:
    """(language, gold intent, text) for every utterance of the multilingual set."""
    data = load_yaml_model(path, MultilingualFile).root
    rows: list[tuple[str, str, str]] = []
    for language, by_intent in data.items():
        if language not in LANGUAGES:
            raise ConfigError(str(path), None, language, f"unknown language (known: {', '.join(LANGUAGES)})")
        for intent, texts in by_intent.items():
            if intent not in INTENT_NAMES:
                raise ConfigError(str(path), None, f"{language}.{intent}", "unknown intent")
            rows += [(language, intent, text) for text in texts]
    return rows


def overlap_with_catalogue(texts: list[str], catalogue_path: Path = CATALOGUE) -> list[str]:
    """The texts that equal a training example after normalisation (there must be none)."""
    trained = {normalise(example) for _, _, example in load_catalogue(catalogue_path).examples()}
    return [text for text in texts if normalise(text) in trained]


def is_right(gold: str, routed: Routed) -> bool:
    if gold == OUT_OF_SCOPE:
        return routed.intent == OUT_OF_SCOPE or routed.confidence < CLARIFY_BELOW
    return routed.intent == gold


@dataclass(frozen=True)
class Result:
    gold: str
    routed: Routed
    group: str  # the BANKING77 label or the language
    text: str

    @property
    def right(self) -> bool:
        return is_right(self.gold, self.routed)

    @property
    def acted_right(self) -> bool:
        """The bot would start the right thing without asking (or rightly decline)."""
        if self.gold == OUT_OF_SCOPE:
            return self.right
        return self.routed.intent == self.gold and self.routed.confidence >= CLARIFY_BELOW


def route_all(router: Router, rows: list[tuple[str, str, str]], latencies: list[int]) -> list[Result]:
    results = []
    for group, gold, text in rows:
        start = time.perf_counter_ns()
        routed = router.route(text)
        latencies.append(time.perf_counter_ns() - start)
        results.append(Result(gold, routed, group, text))
    return results


def accuracy(results: list[Result]) -> float:
    return sum(r.right for r in results) / len(results) if results else 0.0


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def print_confusions(results: list[Result], top: int = 12) -> None:
    pairs = Counter((r.gold, r.routed.intent) for r in results if not r.right)
    print(f"  top confusions (gold -> routed, count of {sum(pairs.values())} wrong):")
    for (gold, routed), n in pairs.most_common(top):
        print(f"    {gold:22s} -> {routed:22s} {n}")


def print_calibration(results: list[Result]) -> None:
    """Top-1 right/wrong per confidence band (right = top intent equals gold, out_of_scope included).

    The marginal rule: the upper edge of the highest band in which wrong answers outnumber right ones
    (below it, an answer is more likely wrong than right). The cumulative reading (all answers below t
    taken together) is printed too; it lands higher because the mass of low-confidence misses outweighs
    the good answers just under it. How CLARIFY_BELOW was chosen from these and the trade-off table is
    written beside it in bot/understanding/router.py."""
    edges = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001]
    bands: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in results:
        band = next(i for i in range(len(edges) - 1) if r.routed.confidence < edges[i + 1])
        bands[band][0 if r.routed.intent == r.gold else 1] += 1
    print("  confidence band     right  wrong  precision")
    marginal = 0.0
    for i in range(len(edges) - 1):
        right, wrong = bands[i]
        shown = f"[{edges[i]:.2f}, {min(edges[i + 1], 1.0):.2f})"
        precision = f"{right / (right + wrong):.2f}" if right + wrong else "-"
        print(f"    {shown:16s} {right:6d} {wrong:6d}  {precision}")
        if wrong > right:
            marginal = min(edges[i + 1], 1.0)
    cumulative = 0.0
    for t in [round(0.05 * k, 2) for k in range(1, 20)]:
        below = [r for r in results if r.routed.confidence < t]
        right = sum(r.routed.intent == r.gold for r in below)
        if below and len(below) - right > right:
            cumulative = t
    print(f"  marginal rule (highest band with wrong > right ends at): {marginal:.2f}   "
          f"(CLARIFY_BELOW = {CLARIFY_BELOW})")
    print(f"  cumulative rule (all answers below t: wrong > right up to): {cumulative:.2f}")


def print_tradeoff(b77: list[Result], multi: list[Result]) -> None:
    """What another CLARIFY_BELOW would do: a higher one declines more out-of-scope rows (the headline
    accuracy rises) but asks back on more in-scope requests ("acted right" falls)."""
    def scores(results: list[Result], t: float) -> tuple[float, float]:
        right = acted = 0
        for r in results:
            declined = r.routed.intent == OUT_OF_SCOPE or r.routed.confidence < t
            if r.gold == OUT_OF_SCOPE:
                right += declined
                acted += declined
            else:
                right += r.routed.intent == r.gold
                acted += r.routed.intent == r.gold and r.routed.confidence >= t
        return right / len(results), acted / len(results)

    print("  threshold   banking77 (acted right)   multilingual (acted right)")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9):
        (b, ba), (m, ma) = scores(b77, t), scores(multi, t)
        mark = "  <- CLARIFY_BELOW" if abs(t - CLARIFY_BELOW) < 1e-9 else ""
        print(f"    {t:.2f}       {_pct(b)} ({_pct(ba)})          {_pct(m)} ({_pct(ma)}){mark}")


def half_of(text: str) -> str:
    """A fixed half of BANKING77 for a row: "dev" (read when widening the catalogue) or "held-out"."""
    return "dev" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"


def banking77_rows(directory: Path, mapping: Mapping[str, str]) -> list[tuple[str, str, str]]:
    with open(directory / "train.csv", newline="", encoding="utf-8") as f:
        return [(row["category"], mapping[row["category"]], row["text"]) for row in csv.DictReader(f)]


def main() -> int:
    directory = Path(os.environ.get("BANKING77_DIR", DEFAULT_BANKING77))
    if not (directory / "train.csv").is_file() or not (directory / "categories.json").is_file():
        print(f"BANKING77 not found in {directory} (train.csv and categories.json).\n"
              "Put the dataset there or point BANKING77_DIR at it: BANKING77_DIR=/path/to/banking77 make eval",
              file=sys.stderr)
        return 2
    labels = json.loads((directory / "categories.json").read_text(encoding="utf-8"))
    mapping = load_mapping(MAPPING, labels)
    multilingual = load_multilingual(MULTILINGUAL)
    b77_rows = banking77_rows(directory, mapping)
    for name, rows in (("The multilingual eval set", multilingual), ("BANKING77", b77_rows)):
        leaked = sorted(set(overlap_with_catalogue([text for _, _, text in rows])))
        if leaked:
            print(f"{name}: {len(leaked)} sentences equal a training example after normalisation, so the figure "
                  "would not be out of sample; remove them from the catalogue (or the eval set):\n  "
                  + "\n  ".join(leaked), file=sys.stderr)
            return 1

    start = time.perf_counter()
    router = Router.from_catalogue(CATALOGUE)
    trained_in = time.perf_counter() - start
    print(f"Intent router evaluation. {CREDIT}")
    print(f"router: {len(router.intents)} intents, {sum(1 for _ in router.catalogue.examples())} examples, "
          f"trained in {trained_in:.2f} s; CLARIFY_BELOW={CLARIFY_BELOW}; "
          f"python {platform.python_version()} on {platform.machine()}")

    latencies: list[int] = []
    b77 = route_all(router, b77_rows, latencies)
    in_scope = [r for r in b77 if r.gold != OUT_OF_SCOPE]
    out_scope = [r for r in b77 if r.gold == OUT_OF_SCOPE]
    mapped_labels = sorted({label for label, intent in mapping.items() if intent != OUT_OF_SCOPE})
    print(f"\nBANKING77: {len(b77)} rows, {len(labels)} labels; {len(mapped_labels)} labels ({len(in_scope)} rows) map "
          f"to one of our intents, {len(labels) - len(mapped_labels)} ({len(out_scope)} rows) to out_of_scope")
    print(f"  routing accuracy over all mapped rows: {_pct(accuracy(b77))}")
    print(f"  rows naming one of our intents:        {_pct(accuracy(in_scope))}   "
          f"(right and confident: {_pct(sum(r.acted_right for r in in_scope) / len(in_scope))})")
    print(f"  out_of_scope rows declined or asked:   {_pct(accuracy(out_scope))}")
    for half in ("dev", "held-out"):
        rows = [r for r in b77 if half_of(r.text) == half]
        print(f"  {half} half ({len(rows)} rows): {_pct(accuracy(rows))}")
    print("  per mapped label:")
    for label in mapped_labels:
        rows = [r for r in in_scope if r.group == label]
        print(f"    {label:42s} -> {mapping[label]:20s} {_pct(accuracy(rows))} of {len(rows)}")
    print_confusions(b77)

    multi = route_all(router, multilingual, latencies)
    print(f"\nMultilingual set: {len(multi)} utterances (none in the training catalogue)")
    print(f"  accuracy: {_pct(accuracy(multi))}   (right and confident: "
          f"{_pct(sum(r.acted_right for r in multi) / len(multi))})")
    for language in LANGUAGES:
        rows = [r for r in multi if r.group == language]
        if rows:
            print(f"    {language:9s} {_pct(accuracy(rows))} of {len(rows)}")
    print_confusions(multi)
    misses = [r for r in multi if not r.right]
    if misses:
        print("  misses:")
        for r in misses:
            print(f"    [{r.group}] {r.text!r}: gold {r.gold}, routed {r.routed.intent} ({r.routed.confidence:.2f})")

    print("\nCalibration, both sets (top-1 intent vs gold):")
    print_calibration(b77 + multi)
    print("\nThreshold trade-off (accuracy by the rule above; in brackets: right AND confident, or rightly declined):")
    print_tradeoff(b77, multi)

    ms = sorted(n / 1e6 for n in latencies)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    print(f"\nLatency per message (route(), one thread, {len(ms)} messages): p50 {statistics.median(ms):.2f} ms, "
          f"p99 {p99:.2f} ms, max {ms[-1]:.2f} ms")
    print(f"\nbanking77_routing_accuracy={accuracy(b77):.4f}")
    print(f"multilingual_accuracy={accuracy(multi):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
