"""The intent catalogue, the router trained on it, and the evaluation files' integrity."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from pathlib import Path

import pytest
import yaml

from bench.eval import DEFAULT_BANKING77, MAPPING, is_right, load_mapping, load_multilingual, overlap_with_catalogue
from bot.understanding.catalogue import (
    INTENT_NAMES,
    LANGUAGES,
    MIN_EXAMPLES,
    OUT_OF_SCOPE,
    load_catalogue,
)
from bot.understanding.normalise import normalise
from bot.understanding.router import CLARIFY_BELOW, Routed, Router
from bot.workflows.spec import load_workflows
from bot.yaml_config import ConfigError
from i18n.catalog import all_translations

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "personalities" / "intents" / "catalogue.yaml"


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.from_catalogue(CATALOGUE)


# ---------------------------------------------------------------- the catalogue


def test_catalogue_has_every_intent_once_with_examples_in_every_language():
    catalogue = load_catalogue(CATALOGUE)
    assert sorted(i.name for i in catalogue.intents) == sorted(INTENT_NAMES)
    for intent in catalogue.intents:
        for language in LANGUAGES:
            examples = getattr(intent.examples, language)
            assert len(examples) >= MIN_EXAMPLES[language], (intent.name, language)


def test_leads_to_names_a_workflow_that_starts_with_that_intent():
    workflows = load_workflows(ROOT / "personalities" / "workflows")
    for intent in load_catalogue(CATALOGUE).intents:
        if intent.leads_to in ("graph", "none"):
            continue
        assert intent.leads_to in workflows, intent.name
        assert intent.name in workflows[intent.leads_to].intents, intent.name


def _dump(tmp_path: Path, data: dict) -> tuple[Path, list[str]]:
    path = tmp_path / "catalogue.yaml"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(text, encoding="utf-8")
    return path, text.splitlines()


def _line(lines: list[str], needle: str, after: str | None = None) -> int:
    start = next(n for n, line in enumerate(lines) if after in line) if after else 0
    return next(n for n in range(start, len(lines)) if needle in lines[n]) + 1


def _real_data() -> dict:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


def test_too_few_examples_in_a_language_is_reported_with_file_and_line(tmp_path):
    data = _real_data()
    data["intents"][0]["examples"]["ta"] = ["வணக்கம்"]
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    expected = _line(lines, "ta:", after="name: greeting")
    assert str(err.value).startswith(f"{path}:{expected}: intents[0].examples.ta: ")
    assert "at least 4" in str(err.value)


def test_an_unknown_intent_name_and_the_missing_one_are_both_reported(tmp_path):
    data = _real_data()
    index = next(n for n, i in enumerate(data["intents"]) if i["name"] == "nav")
    data["intents"][index]["name"] = "navv"
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    messages = [str(e) for e in err.value.errors]
    assert any(m.startswith(f"{path}:{_line(lines, 'name: navv')}: intents[{index}].name: unknown intent 'navv'")
               for m in messages), messages
    assert any("intents without an entry: nav" in m for m in messages), messages


def test_one_sentence_under_two_intents_is_refused_at_the_second(tmp_path):
    data = _real_data()
    balance = next(i for i in data["intents"] if i["name"] == "balance")
    balance["examples"]["en"].append("Block my card!")  # block_card has "block my card"
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    second = _line(lines, "- block my card", after="name: block_card")
    assert f"{path}:{second}: intents[" in str(err.value)
    assert "also under 'balance'" in str(err.value)


def _topic(name: str, examples: list[str]) -> dict:
    return {"name": name, "description": f"{name} for a test", "examples": {"en": examples}}


SIM_SWAP = ["my sim stopped working suddenly", "no network on my phone since the morning",
            "sim card blocked by operator", "got a message my sim is being replaced", "i did not ask for a new sim", "phone shows no service",
            "sim swap request i never made", "mobile network gone and bank messages stopped",
            "my number was ported without asking", "my sim was deactivated"]


def test_a_topic_with_too_few_english_examples_is_reported_with_its_line(tmp_path):
    data = _real_data()
    index = next(n for n, i in enumerate(data["intents"]) if i["name"] == "report_fraud")
    data["intents"][index]["topics"] = [_topic("sim_swap", SIM_SWAP), _topic("too_few", ["only one example here"])]
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    at = _line(lines, "en:", after="name: too_few")
    assert str(err.value).startswith(f"{path}:{at}: intents[{index}].topics[1].examples.en: "), str(err.value)
    assert "at least 10" in str(err.value)


def test_a_topic_twice_and_an_example_under_two_topics_are_refused(tmp_path):
    data = _real_data()
    fraud = next(i for i in data["intents"] if i["name"] == "report_fraud")
    other = next(i for i in data["intents"] if i["name"] == "out_of_scope")
    fraud["topics"] = [_topic("sim_swap", SIM_SWAP)]
    other["topics"] = [_topic("sim_swap", [f"sim question {n}" for n in range(10)]),
                       _topic("sim_help", ["My SIM was deactivated!", *(f"sim help {n}" for n in range(9))])]
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    messages = [str(e) for e in err.value.errors]
    second = _line(lines, "name: sim_swap", after="name: out_of_scope")
    assert any(m.startswith(f"{path}:{second}: ") and "topic 'sim_swap' is defined twice" in m
               for m in messages), messages
    again = _line(lines, "My SIM was deactivated!", after="name: sim_help")
    assert any(m.startswith(f"{path}:{again}: ") and "also under 'report_fraud.sim_swap'" in m
               and "cannot mean two topics" in m for m in messages), messages


def test_an_intent_example_repeated_in_its_own_topic_is_refused(tmp_path):
    data = _real_data()
    fraud = next(i for i in data["intents"] if i["name"] == "report_fraud")
    fraud["topics"] = [_topic("sim_swap", [*SIM_SWAP[:9], fraud["examples"]["en"][0].upper()])]
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    assert f"{path}:{_line(lines, fraud['examples']['en'][0].upper())}: " in str(err.value)
    assert "also under 'report_fraud'" in str(err.value) and "both an intent and one of its topics" in str(err.value)


@pytest.mark.parametrize(("text", "intent", "topic"), [
    ("my upi to my brother has been stuck in processing since morning", "failed_transfer", "transfer_pending"),
    ("the atm gave me only 2000 of the 5000 i asked for", "dispute_transaction", "atm_short_cash"),
    ("usually how many hours does an imps take to reach another bank", OUT_OF_SCOPE, "transfer_timing"),
    ("i need some help about my credit card", OUT_OF_SCOPE, "unclear_card_request"),
])
def test_the_catalogue_topics_tell_neighbouring_requests_apart(router, text, intent, topic):
    routed = router.route(text)
    assert (routed.intent, routed.topic) == (intent, topic), routed
    assert routed.confidence >= CLARIFY_BELOW, routed


def test_clarify_names_requests_the_bot_can_start(tmp_path):
    data = _real_data()
    other = next(i for i in data["intents"] if i["name"] == "out_of_scope")
    index = next(k for k, t in enumerate(other["topics"]) if t["name"] == "unclear_card_request")
    other["topics"][index]["clarify"] = ["block_card", "out_of_scope", "card_magic"]
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    messages = [str(e) for e in err.value.errors]
    assert len(messages) == 2 and all(".clarify[" in m and "not a request the bot can start" in m for m in messages)
    assert "'out_of_scope'" in messages[0] and "'card_magic'" in messages[1]


def test_every_clarify_request_has_a_button():
    from bot.graph.intents import BUTTON_KEYS

    asked = {a for i in load_catalogue(CATALOGUE).intents for t in i.topics for a in t.clarify}
    assert asked and asked <= set(BUTTON_KEYS)


def test_a_topic_is_learned_as_its_own_class_and_counts_for_its_intent(tmp_path):
    data = _real_data()
    fraud = next(i for i in data["intents"] if i["name"] == "report_fraud")
    fraud["topics"] = [_topic("sim_swap", SIM_SWAP)]
    path, _ = _dump(tmp_path, data)
    router = Router.from_catalogue(path)
    routed = router.route("my sim suddenly has no network and I did not request a new sim")
    assert (routed.intent, routed.topic) == ("report_fraud", "sim_swap"), routed
    # Between report_fraud's own examples and sim_swap's, the intent gets both classes' confidence.
    both = "suspicious call then my sim went dead"
    by_class = router._class_probabilities(both)
    fraud = [i for i, (intent, _) in enumerate(router._classes) if intent == "report_fraud"]
    assert [router._classes[i][1] for i in fraud] == [None, "sim_swap"]
    assert min(by_class[fraud]) > 0.2, by_class[fraud]
    routed = router.route(both)
    assert routed.intent == "report_fraud" and routed.confidence == pytest.approx(by_class[fraud].sum(), abs=1e-4)
    assert router.route("block my card").topic is None  # block_card's own examples


def test_leads_to_and_button_are_checked(tmp_path):
    data = _real_data()
    data["intents"][0]["leads_to"] = "balance_statement"  # greeting is answered by the graph
    data["intents"][1]["button"] = "btn_does_not_exist"
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    messages = [str(e) for e in err.value.errors]
    assert f"{path}:{_line(lines, 'leads_to: balance_statement')}: intents[0].leads_to: greeting leads to 'graph'" \
        in messages
    assert any(m.startswith(f"{path}:{_line(lines, 'button: btn_does_not_exist')}: intents[1].button: ")
               for m in messages), messages


def test_an_unknown_field_is_reported_with_its_line(tmp_path):
    data = _real_data()
    data["intents"][2]["exampels"] = {}
    path, lines = _dump(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    assert str(err.value) == f"{path}:{_line(lines, 'exampels:')}: intents[2].exampels: " \
                             "unknown field 'exampels' (extra inputs are not permitted)"


# ---------------------------------------------------------------- normalising


def test_normalise_folds_case_digits_punctuation_and_keeps_rupee():
    assert normalise("  Block MY card!!  ") == "block my card"
    assert normalise("₹५,००० कट गए।") == "₹ 5 000 कट गए"
    assert normalise("don't\trecognise  this") == "dont recognise this"
    assert normalise("क़") == normalise("क\u093c")  # one spelling of a nukta letter
    assert normalise("?!...") == ""


# ---------------------------------------------------------------- routing

CLEAR = [  # written for this test: in neither the catalogue nor the evaluation set
    ("en", "I want to know how much money is in my savings account", "balance"),
    ("en", "please stop my debit card, it has been stolen", "block_card"),
    ("en", "what is the nav of the midcap fund today", "nav"),
    ("hi", "मेरे खाते में कितना पैसा है", "balance"),
    ("hi", "प्रबंधक से बात करवाइए", "human"),
    ("hi", "अगली EMI कितने तारीख को कटेगी", "loan_emi"),
    ("hinglish", "khate me kitna paisa pada hai", "balance"),
    ("hinglish", "mujhe naya atm pin set karna hai", "change_pin"),
    ("hinglish", "maine ye 5000 ka payment nahi kiya", "dispute_transaction"),
    ("ta", "எனது கணக்கு இருப்பு எவ்வளவு", "balance"),
    ("ta", "என் கார்டு தொலைந்து போச்சு", "block_card"),
    ("te", "నా ఖాతా బ్యాలెన్స్ ఎంత ఉంది", "balance"),
    ("bn", "আমার অ্যাকাউন্টের ব্যালেন্স কত টাকা", "balance"),
    ("bn", "আমার ক্রেডিট কার্ডটা হারিয়ে ফেলেছি", "block_card"),
    ("mr", "माझ्या खात्यातील शिल्लक रक्कम सांगा", "balance"),
    ("mr", "माझे कार्ड हरवले आहे ब्लॉक करा", "block_card"),
]


def test_clear_messages_are_not_in_the_training_or_evaluation_sentences():
    trained = {normalise(t) for _, _, t in load_catalogue(CATALOGUE).examples()}
    evaluated = {normalise(t) for _, _, t in load_multilingual()}
    assert not {normalise(text) for _, text, _ in CLEAR} & (trained | evaluated)


@pytest.mark.parametrize(("language", "text", "intent"), CLEAR)
def test_clear_messages_route_confidently_in_every_language(router, language, text, intent):
    routed = router.route(text)
    assert routed.intent == intent, (language, routed)
    assert routed.confidence >= CLARIFY_BELOW, (language, routed)


def test_routed_is_frozen_with_the_top_three_best_first(router):
    routed = router.route("card block karo")
    assert isinstance(routed, Routed)
    with pytest.raises(dataclasses.FrozenInstanceError):
        routed.intent = "balance"  # type: ignore[misc]
    assert len(routed.alternatives) == 3
    assert routed.alternatives[0] == (routed.intent, routed.confidence)
    confidences = [c for _, c in routed.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert 0.0 <= sum(confidences) <= 1.0 + 1e-3


def test_button_labels_map_exactly_in_every_language(router):
    catalogue = load_catalogue(CATALOGUE)
    buttons = {i.button: i.name for i in catalogue.intents if i.button}
    assert set(buttons) == {"btn_balance", "btn_recent", "btn_human", "btn_resend"}
    for key, intent in buttons.items():
        for label in all_translations(key):
            assert router.route(f" {label} ") == Routed(intent, 1.0, ((intent, 1.0),), None), label


@pytest.mark.parametrize("text", ["asdf qwerty zxcv", "lkjhgf", "xyzzy plugh", ""])
def test_gibberish_is_below_the_clarify_threshold(router, text):
    routed = router.route(text)
    assert routed.confidence < CLARIFY_BELOW, routed


@pytest.mark.parametrize("text", ["what's the weather in Delhi", "who is your favourite actor", "sing me a lullaby"])
def test_small_talk_never_starts_a_request(router, text):
    """Small talk is out of scope, confidently or not; what matters is that no workflow starts."""
    routed = router.route(text)
    assert routed.intent == OUT_OF_SCOPE or routed.confidence < CLARIFY_BELOW, routed


def test_out_of_scope_rows_count_right_only_when_the_bot_would_not_act():
    assert is_right(OUT_OF_SCOPE, Routed(OUT_OF_SCOPE, 0.9, (), None))
    assert is_right(OUT_OF_SCOPE, Routed("balance", CLARIFY_BELOW - 0.01, (), None))
    assert not is_right(OUT_OF_SCOPE, Routed("balance", CLARIFY_BELOW, (), None))
    assert is_right("balance", Routed("balance", 0.3, (), None))
    assert not is_right("balance", Routed("block_card", 0.99, (), None))


def test_the_router_is_trained_once_per_catalogue_content(tmp_path, router):
    copy = tmp_path / "copy.yaml"
    copy.write_bytes(CATALOGUE.read_bytes())
    assert Router.from_catalogue(copy) is router
    assert Router.from_catalogue(CATALOGUE) is router


# ---------------------------------------------------------------- the evaluation files


def test_the_multilingual_set_is_apart_from_the_training_examples_and_large_enough():
    rows = load_multilingual()
    assert len(rows) >= 220
    assert {language for language, _, _ in rows} == set(LANGUAGES)
    assert {intent for _, intent, _ in rows} == set(INTENT_NAMES)
    assert overlap_with_catalogue([text for _, _, text in rows], CATALOGUE) == []


def test_the_overlap_check_catches_a_training_sentence_in_other_dress():
    assert overlap_with_catalogue(["Block my card!!", "something never trained on"], CATALOGUE) == ["Block my card!!"]


def test_the_banking77_mapping_names_known_intents_with_a_reason():
    mapping = load_mapping(MAPPING)
    assert len(mapping) == 77
    assert set(mapping.values()) <= set(INTENT_NAMES)
    assert mapping["lost_or_stolen_card"] == "block_card"
    assert mapping["card_payment_not_recognised"] == "dispute_transaction"


def test_the_banking77_mapping_covers_every_label_of_the_dataset_once():
    categories = Path(os.environ.get("BANKING77_DIR", DEFAULT_BANKING77)) / "categories.json"
    if not categories.is_file():
        pytest.skip(f"BANKING77 is not at {categories.parent}")
    labels = json.loads(categories.read_text(encoding="utf-8"))
    assert len(labels) == len(set(labels)) == 77
    assert sorted(load_mapping(MAPPING, labels)) == sorted(labels)


def test_no_banking77_query_is_a_training_example():
    """BANKING77 is evaluation data: a catalogue example equal to one of its queries (after normalising)
    would make the figure partly in-sample. `make eval` refuses to run then; this says so earlier."""
    train = Path(os.environ.get("BANKING77_DIR", DEFAULT_BANKING77)) / "train.csv"
    if not train.is_file():
        pytest.skip(f"BANKING77 is not at {train.parent}")
    with open(train, newline="", encoding="utf-8") as f:
        queries = [row["text"] for row in csv.DictReader(f)]
    assert len(queries) == 10003
    assert overlap_with_catalogue(queries, CATALOGUE) == []


def test_a_label_mapped_twice_or_to_an_unknown_intent_is_refused(tmp_path):
    twice = tmp_path / "twice.yaml"
    twice.write_text("labels:\n  change_pin: {intent: change_pin, why: same}\n"
                     "  change_pin: {intent: block_card, why: again}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_mapping(twice)
    assert str(err.value).startswith(f"{twice}:3: labels.change_pin: duplicate key")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("labels:\n  change_pin: {intent: pin_stuff, why: nope}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown intent 'pin_stuff'"):
        load_mapping(unknown)
    with pytest.raises(ConfigError, match="'card_arrival' is not mapped"):
        load_mapping(unknown, ["change_pin", "card_arrival"])
