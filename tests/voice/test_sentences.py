"""How a reply is cut into sentences and respelled for an English voice (voice/tts.py)."""

from __future__ import annotations

from voice.tts import MAX_SENTENCE_CHARS, respell_for_english, split_sentences


def test_sentences_end_at_stops_dandas_and_line_breaks():
    text = "Done. Your card is blocked! Anything else?\nBalance: 5 rupees\n\nआपका कार्ड ब्लॉक है। धन्यवाद॥ ठीक"
    assert split_sentences(text) == ["Done.", "Your card is blocked!", "Anything else?", "Balance: 5 rupees",
                                     "आपका कार्ड ब्लॉक है।", "धन्यवाद॥", "ठीक"]


def test_decimals_and_quotes_do_not_break_a_sentence():
    assert split_sentences('Rate is 4.5 percent. He said "yes." Then') == [
        "Rate is 4.5 percent.", 'He said "yes."', "Then"]


def test_long_sentences_are_cut_at_commas_then_spaces():
    clause = "word " * 30
    sentence = ", ".join([clause.strip()] * 3) + "."
    pieces = split_sentences(sentence)
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert " ".join(pieces).replace(" ", "") == sentence.replace(" ", "")
    unbroken = "a" * (MAX_SENTENCE_CHARS * 2 + 10)
    assert [len(piece) for piece in split_sentences(unbroken)] == [MAX_SENTENCE_CHARS, MAX_SENTENCE_CHARS, 10]


def test_english_voices_get_banking_words_respelled():
    assert respell_for_english("fifty paise, one lakh, UPI and KYC, NEFT or IMPS, an ATM PIN") == (
        "fifty pai-say, one laakh, U P I and K Y C, NEFT or IMPS, an A T M PIN")
    assert respell_for_english("Okay Paise") == "Okay pai-say"


def test_a_long_first_sentence_is_spoken_from_its_first_clause():
    reply = ("Done: your card ending 9012 is blocked, and a confirmation SMS is on its way to your registered "
             "mobile. Anything else?")
    assert split_sentences(reply) == ["Done: your card ending 9012 is blocked,",
                                      "and a confirmation SMS is on its way to your registered mobile.",
                                      "Anything else?"]
    # Short first sentences, and commas inside numbers, are left alone.
    assert split_sentences("Your balance is 83,950 rupees, as of today. Anything else?") == [
        "Your balance is 83,950 rupees, as of today.", "Anything else?"]
