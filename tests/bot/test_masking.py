"""Tests for bot.masking.

Check digits are generated here with implementations written independently of the module's
(Verhoeff from the dihedral group D5 and the permutation sigma, not from the usual lookup tables).
"""

import dataclasses
import random
import time

import pytest

from bot.masking import PiiKind, PiiSpan, find_pii, luhn_valid, mask, mask_mapping, verhoeff_valid
from bot.stores.cases import new_reference

# --------------------------------------------------------------------------- independent check digits


def luhn_check_digit(payload: str) -> str:
    total = 0
    # The check digit will sit at position 0 from the right, so payload's last digit is doubled.
    for pos, ch in enumerate(reversed(payload), start=1):
        n = int(ch) * (2 if pos % 2 == 1 else 1)
        total += sum(divmod(n, 10))
    return str((10 - total % 10) % 10)


def d5_mul(j: int, k: int) -> int:
    # Elements 0-4 are rotations r^j, 5-9 reflections s r^(j-5), numbered as Verhoeff numbered them.
    if j < 5 and k < 5:
        return (j + k) % 5
    if j < 5:
        return 5 + (j + k - 5) % 5
    if k < 5:
        return 5 + (j - 5 - k) % 5
    return (j - k) % 5


SIGMA = {0: 1, 1: 5, 2: 7, 3: 6, 4: 2, 5: 8, 6: 3, 7: 0, 8: 9, 9: 4}


def sigma_power(i: int, n: int) -> int:
    for _ in range(i % 8):
        n = SIGMA[n]
    return n


def d5_inverse(j: int) -> int:
    return (5 - j) % 5 if j < 5 else j


def verhoeff_check_digit(payload: str) -> str:
    c = 0
    for i, ch in enumerate(reversed(payload), start=1):
        c = d5_mul(c, sigma_power(i, int(ch)))
    return str(d5_inverse(c))


def verhoeff_ok(number: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = d5_mul(c, sigma_power(i, int(ch)))
    return c == 0


RNG = random.Random(20240312)


def make_card(length: int = 16, prefix: str = "4") -> str:
    payload = prefix + "".join(RNG.choice("0123456789") for _ in range(length - 1 - len(prefix)))
    return payload + luhn_check_digit(payload)


def make_aadhaar() -> str:
    payload = RNG.choice("23456789") + "".join(RNG.choice("0123456789") for _ in range(10))
    return payload + verhoeff_check_digit(payload)


def break_check_digit(number: str, valid) -> str:
    for d in "0123456789":
        candidate = number[:-1] + d
        if candidate != number and not valid(candidate):
            return candidate
    raise AssertionError("unreachable")


def group4(number: str, sep: str = " ") -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def kinds(text: str, **kw) -> list[PiiKind]:
    return [s.kind for s in find_pii(text, **kw)]


# --------------------------------------------------------------------------- the check-digit helpers


def test_independent_verhoeff_agrees_with_known_numbers():
    # Textbook example: 236 -> check digit 3.
    assert verhoeff_check_digit("236") == "3"
    assert verhoeff_ok("2363") and not verhoeff_ok("2364")
    # The widely used Aadhaar test number.
    assert verhoeff_ok("234123412346")
    assert verhoeff_valid("234123412346")


def test_module_check_digit_functions_match_independent_ones():
    for _ in range(300):
        payload = "".join(RNG.choice("0123456789") for _ in range(RNG.randint(5, 18)))
        good_v = payload + verhoeff_check_digit(payload)
        assert verhoeff_valid(good_v)
        assert not verhoeff_valid(break_check_digit(good_v, verhoeff_ok))
        good_l = payload + luhn_check_digit(payload)
        assert luhn_valid(good_l)
        assert not luhn_valid(break_check_digit(good_l, luhn_valid))
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("") and not verhoeff_valid("")
    assert not luhn_valid("41x1") and not verhoeff_valid("१२३")


# --------------------------------------------------------------------------- cards


@pytest.mark.parametrize(
    "number",
    ["4111111111111111", "5500000000000004", "378282246310005", "6011111111111117", "3056930902590 4".replace(" ", "")],
)
def test_known_test_card_numbers(number):
    assert luhn_check_digit(number[:-1]) == number[-1]
    assert mask(f"card {number} pls block") == f"card [CARD ••••{number[-4:]}] pls block"


@pytest.mark.parametrize("length", [13, 14, 15, 16, 17, 18, 19])
def test_generated_luhn_valid_cards_of_every_length(length):
    for _ in range(20):
        number = make_card(length, prefix=RNG.choice(["4", "51", "6", "37", "60"]))
        assert mask(number) == f"[CARD ••••{number[-4:]}]"
        assert kinds(f"my card is {number}.") == [PiiKind.CARD]


@pytest.mark.parametrize("sep", [" ", "-"])
def test_grouped_cards(sep):
    for _ in range(20):
        number = make_card(16)
        text = f"block card {group4(number, sep)} now"
        assert mask(text) == f"block card [CARD ••••{number[-4:]}] now"
    amex = "378282246310005"
    assert mask(f"amex {amex[:4]} {amex[4:10]} {amex[10:]}") == "amex [CARD ••••0005]"


def test_invalid_luhn_is_not_a_card_but_still_masked_as_account():
    for _ in range(20):
        bad = break_check_digit(make_card(16), luhn_valid)
        spans = find_pii(f"card {bad}")
        assert [s.kind for s in spans] == [PiiKind.ACCOUNT]
        # Grouped 4-4-4-4, no piece of it may be read as something smaller (a 91-prefixed mobile).
        assert mask(group4(bad)) == f"[ACCOUNT ••••{bad[-4:]}]"
    assert mask("4298 9184 4343 4650") == "[ACCOUNT ••••4650]"


def test_hindi_text_around_card_is_kept():
    assert mask("मेरा कार्ड 4111 1111 1111 1111 है") == "मेरा कार्ड [CARD ••••1111] है"
    assert mask("mera card 4111111111111111 block karo") == "mera card [CARD ••••1111] block karo"


def test_devanagari_and_other_indic_digits():
    text = "मेरा कार्ड ४१११ ११११ ११११ ११११ है"
    spans = find_pii(text)
    assert spans == [PiiSpan(PiiKind.CARD, 11, 30)]
    assert text[11:30] == "४१११ ११११ ११११ ११११"
    assert mask(text) == "मेरा कार्ड [CARD ••••1111] है"
    # Bengali, Gujarati and Tamil digits, and a mix of scripts in one number.
    assert mask("মোবাইল ৯৮১২৩৪৫৬৭৮") == "মোবাইল [MOBILE ••••5678]"
    assert mask("નંબર ૯૮૧૨૩૪૫૬૭૮") == "નંબર [MOBILE ••••5678]"
    assert mask("எண் ௯௮௧௨௩௪௫௬௭௮") == "எண் [MOBILE ••••5678]"
    assert mask("आधार २३४१ 2341 २३४६") == "आधार [AADHAAR ••••2346]"
    assert mask("otp ४८२९१३") == "otp [OTP]"


# --------------------------------------------------------------------------- Aadhaar


def test_known_aadhaar_test_number():
    assert mask("aadhaar 234123412346") == "aadhaar [AADHAAR ••••2346]"
    assert mask("aadhaar 2341 2341 2346") == "aadhaar [AADHAAR ••••2346]"
    assert mask("aadhaar 2341-2341-2346") == "aadhaar [AADHAAR ••••2346]"
    assert mask("मेरा आधार नंबर 2341 2341 2346 है") == "मेरा आधार नंबर [AADHAAR ••••2346] है"


def test_generated_verhoeff_valid_aadhaar_numbers():
    for _ in range(50):
        number = make_aadhaar()
        assert verhoeff_ok(number)
        for form in (number, group4(number), group4(number, "-")):
            assert kinds(f"aadhaar {form}") == [PiiKind.AADHAAR], form
            assert mask(form) == f"[AADHAAR ••••{number[-4:]}]"


def test_invalid_verhoeff_is_not_aadhaar_but_an_account_number():
    for _ in range(50):
        bad = break_check_digit(make_aadhaar(), verhoeff_ok)
        # 12 digits starting 91[6-9] read as a 91-prefixed mobile; anything else is an account.
        expected = "MOBILE" if bad[:2] == "91" and bad[2] in "6789" else "ACCOUNT"
        assert mask(bad) == f"[{expected} ••••{bad[-4:]}]"
        assert mask(group4(bad)) == f"[{expected} ••••{bad[-4:]}]"
    assert kinds("234123412347") == [PiiKind.ACCOUNT]


def test_aadhaar_never_starts_with_0_or_1():
    for first in "01":
        payload = first + "23412341234"
        number = payload[:11] + verhoeff_check_digit(payload[:11])
        assert verhoeff_ok(number)
        assert kinds(number) == [PiiKind.ACCOUNT]


def test_card_wins_over_aadhaar_inside_it():
    # A card whose first 12 digits happen to be a valid Aadhaar is one card, not Aadhaar + leftovers.
    for _ in range(10):
        head = make_aadhaar()
        payload = head + "".join(RNG.choice("0123456789") for _ in range(3))
        number = payload + luhn_check_digit(payload)
        assert mask(group4(number)) == f"[CARD ••••{number[-4:]}]"
        assert mask(number) == f"[CARD ••••{number[-4:]}]"


# --------------------------------------------------------------------------- PAN, IFSC


@pytest.mark.parametrize("pan", ["ABCPE1234F", "AAACH1234K", "abcpe1234f", "BNZPM2501F", "AABCT3518Q"])
def test_pan(pan):
    assert mask(f"PAN: {pan}.") == "PAN: [PAN]."
    assert kinds(f"mera pan {pan} hai") == [PiiKind.PAN]


@pytest.mark.parametrize("text", ["ABCDE1234F", "ABCP1234F", "ABCPE12345", "XABCPE1234F", "ABCPE1234FG"])
def test_not_pan(text):
    # 4th letter D is not a holder type; wrong lengths; glued to more letters.
    assert PiiKind.PAN not in kinds(text)


@pytest.mark.parametrize("ifsc", ["SBIN0001234", "HDFC0000123", "ICIC0ABC123", "hdfc0001234"])
def test_ifsc(ifsc):
    assert mask(f"IFSC code {ifsc}") == f"IFSC code [IFSC {ifsc[:4].upper()}]"
    assert kinds(ifsc) == [PiiKind.IFSC]


@pytest.mark.parametrize("text", ["SBIN1001234", "SBI00001234", "SBIN000123", "SBIN00012345"])
def test_not_ifsc(text):
    assert PiiKind.IFSC not in kinds(text)


# --------------------------------------------------------------------------- UPI and email


@pytest.mark.parametrize(
    "vpa,handle",
    [
        ("rajesh@okicici", "okicici"),
        ("rajesh.kumar@oksbi", "oksbi"),
        ("9812345678@ybl", "ybl"),
        ("priya_1990@paytm", "paytm"),
        ("shop-42@upi", "upi"),
        ("anil@axl", "axl"),
        ("meena@ibl", "ibl"),
        ("new.user@someNewHandle", "someNewHandle"),
    ],
)
def test_upi_vpa(vpa, handle):
    assert mask(f"pay to {vpa}.") == f"pay to [UPI ••••@{handle}]."
    assert kinds(f"UPI id {vpa}") == [PiiKind.UPI]


def test_email_is_masked_as_email_not_upi():
    assert mask("mail me at rajesh@example.in") == "mail me at [EMAIL r•••@example.in]"
    assert kinds("rajesh@example.in") == [PiiKind.EMAIL]
    assert kinds("a.b+tag@mail.example.co.in, thanks") == [PiiKind.EMAIL]
    assert mask("Write to priya.s@gmail.com.") == "Write to [EMAIL p•••@gmail.com]."


def test_at_mentions_and_bare_at_are_left_alone():
    assert mask("@rajesh hi") == "@rajesh hi"
    assert mask("meet @ 5pm") == "meet @ 5pm"


# --------------------------------------------------------------------------- mobiles


@pytest.mark.parametrize(
    "text",
    [
        "+91 98123 45678",
        "+91-98123-45678",
        "+919812345678",
        "+91 9812345678",
        "09812345678",
        "9812345678",
        "98123 45678",
        "98123-45678",
        "91 98123 45678",
    ],
)
def test_indian_mobiles(text):
    assert mask(f"call me on {text} please") == "call me on [MOBILE ••••5678] please"
    assert kinds(text) == [PiiKind.MOBILE]


def test_mobile_starting_with_0_to_5_is_not_a_mobile():
    assert kinds("5812345678") == [PiiKind.ACCOUNT]
    assert kinds("12345") == []


def test_two_mobiles_side_by_side():
    assert mask("9812345678 9876543210") == "[MOBILE ••••5678] [MOBILE ••••3210]"


# --------------------------------------------------------------------------- accounts


@pytest.mark.parametrize("number", ["123456789", "000123456789", "50100123456781", "123456789012345678"])
def test_account_numbers(number):
    assert not luhn_valid(number) or len(number) < 13
    assert mask(f"a/c {number} balance?") == f"a/c [ACCOUNT ••••{number[-4:]}] balance?"


def test_short_runs_are_not_accounts():
    assert mask("order 12345678 shipped") == "order 12345678 shipped"
    assert mask("ref ABC123456789") == "ref ABC123456789"  # glued to letters: an id, not a bare number


# --------------------------------------------------------------------------- CVV


@pytest.mark.parametrize(
    "text,expected",
    [
        ("cvv 123", "cvv [CVV]"),
        ("CVV is 123", "CVV is [CVV]"),
        ("mera cvv 456 hai", "mera cvv [CVV] hai"),
        ("CVV: 1234", "CVV: [CVV]"),
        ("cvv2 789", "cvv2 [CVV]"),
        ("CVC=321", "CVC=[CVV]"),
        ("card verification value is 555", "card verification value is [CVV]"),
        ("cvv number hai 908", "cvv number hai [CVV]"),
        ("सीवीवी 123 है", "सीवीवी [CVV] है"),
    ],
)
def test_cvv(text, expected):
    assert mask(text) == expected


def test_three_digits_without_cvv_context_are_left_alone():
    assert mask("I have 123 problems") == "I have 123 problems"
    assert mask("cvv 12345") == "cvv 12345"


# --------------------------------------------------------------------------- OTP and PIN


@pytest.mark.parametrize(
    "text,expected",
    [
        ("my otp is 482913", "my otp is [OTP]"),
        ("OTP: 482913", "OTP: [OTP]"),
        ("otp-4829", "otp-[OTP]"),
        ("one time password 48291345", "one time password [OTP]"),
        ("One-Time Password is: 482913.", "One-Time Password is: [OTP]."),
        ("the code is 123456", "the code is [OTP]"),
        ("verification code 5521", "verification code [OTP]"),
        ("मेरा OTP 482913 है", "मेरा OTP [OTP] है"),
        ("ओटीपी ४८२९१३", "ओटीपी [OTP]"),
        ("otp hai 482913 please check", "otp hai [OTP] please check"),
    ],
)
def test_otp_after_context_word_is_always_masked(text, expected):
    assert mask(text) == expected


def test_context_like_codes_that_are_not_otps():
    assert mask("pin code 110001") == "pin code 110001"
    assert mask("pincode 560001") == "pincode 560001"
    assert mask("error code 5001") == "error code 5001"
    assert mask("pin 110001") == "pin 110001"  # bare "pin" + 6 digits: a postal PIN


def test_bare_numbers_are_otps_only_when_an_otp_is_expected():
    assert mask("482913") == "482913"
    assert mask("482913", expect_otp=True) == "[OTP]"
    assert mask("it is 4829 I think", expect_otp=True) == "it is [OTP] I think"
    assert mask("48291345", expect_otp=True) == "[OTP]"
    assert mask("482 913", expect_otp=True) == "[OTP]"
    assert mask("123", expect_otp=True) == "123"
    assert mask("482913456", expect_otp=True) == "[ACCOUNT ••••3456]"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("my atm pin is 1234", "my atm pin is [PIN]"),
        ("UPI PIN 123456", "UPI PIN [PIN]"),
        ("mpin: 4321", "mpin: [PIN]"),
        ("pin 1234", "pin [PIN]"),
    ],
)
def test_pins(text, expected):
    assert mask(text) == expected


# --------------------------------------------------------------------------- things that are not PII


@pytest.mark.parametrize(
    "text",
    [
        "₹5,000",
        "5000",
        "pay ₹5,000 today",
        "Rs 1,20,000.50 debited",
        "balance is 12,34,567.89",
        "12/03/2024",
        "on 12-03-2024 at 10:30",
        "2024-03-12",
        "12.03.2024",
        "transfer 250 to savings",
        "ABC1234",
        "",
        "hello, what is my balance?",
        "मेरा बैलेंस क्या है?",
    ],
)
def test_amounts_dates_and_plain_text_are_not_masked(text):
    assert mask(text) == text
    assert find_pii(text) == []


def test_amounts_and_dates_under_expect_otp():
    # Documented trade-off: a bare 4-8 digit number cannot be told from an OTP, so it is masked...
    assert mask("5000", expect_otp=True) == "[OTP]"
    # ...but an amount with a currency marker, a grouped amount, a date or a time is not.
    for text in ["₹5000", "Rs 5000", "Rs.5000", "5000 rupees", "5000/-", "₹5,000", "12/03/2024",
                 "12-03-2024", "2024-03-12", "10:30", "1,20,000.50"]:
        assert mask(text, expect_otp=True) == text, text
    # "hours" ends in "rs" but is not a currency marker.
    assert mask("in 2 hours 4829", expect_otp=True) == "in 2 hours [OTP]"


# --------------------------------------------------------------------------- several at once, spans


def test_message_with_many_kinds():
    card = make_card(16)
    text = (
        f"Hi, card {group4(card)} cvv 123, aadhaar 2341 2341 2346, PAN ABCPE1234F, "
        "IFSC SBIN0001234, a/c 50100123456781, call +91 98123 45678 or mail rajesh@example.in, "
        "UPI rajesh@okicici, OTP 482913. Pay ₹5,000 on 12/03/2024."
    )
    expected = (
        f"Hi, card [CARD ••••{card[-4:]}] cvv [CVV], aadhaar [AADHAAR ••••2346], PAN [PAN], "
        "IFSC [IFSC SBIN], a/c [ACCOUNT ••••6781], call [MOBILE ••••5678] or mail [EMAIL r•••@example.in], "
        "UPI [UPI ••••@okicici], OTP [OTP]. Pay ₹5,000 on 12/03/2024."
    )
    assert mask(text) == expected
    assert kinds(text) == [
        PiiKind.CARD, PiiKind.CVV, PiiKind.AADHAAR, PiiKind.PAN, PiiKind.IFSC, PiiKind.ACCOUNT,
        PiiKind.MOBILE, PiiKind.EMAIL, PiiKind.UPI, PiiKind.OTP,
    ]


def test_spans_are_sorted_non_overlapping_offsets_into_the_original():
    text = "card ४१११ 1111 1111 1111, mob +91 98123 45678, upi 9812345678@ybl"
    spans = find_pii(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [
        (PiiKind.CARD, "४१११ 1111 1111 1111"),
        (PiiKind.MOBILE, "+91 98123 45678"),
        (PiiKind.UPI, "9812345678@ybl"),
    ]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_pii_span_is_frozen():
    span = PiiSpan(PiiKind.PAN, 0, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.start = 3  # type: ignore[misc]
    assert span.kind == "pan"


def test_masking_is_idempotent():
    samples = [
        "card 4111 1111 1111 1111, aadhaar 234123412346, +91 98123 45678, rajesh@okicici, "
        "rajesh@example.in, ABCPE1234F, SBIN0001234, cvv 123, otp 482913, a/c 123456789012",
        "मेरा कार्ड ४१११ ११११ ११११ ११११ है",
    ]
    for text in samples:
        for expect_otp in (False, True):
            once = mask(text, expect_otp=expect_otp)
            assert mask(once, expect_otp=expect_otp) == once
            assert mask(once, expect_otp=True) == once


def test_masked_text_contains_no_digits_of_the_secret_beyond_the_last_four():
    card = make_card(16)
    out = mask(f"card {card}")
    assert card[:12] not in out and card[-4:] in out


# --------------------------------------------------------------------------- mask_mapping


def test_mask_mapping_masks_nested_strings_and_keeps_structure():
    payload = {
        "text": "my card is 4111 1111 1111 1111",
        "n": 5,
        "amount": 5000.0,
        "ok": True,
        "none": None,
        "turns": [
            {"user": "otp 482913", "bot": "Thanks"},
            ("aadhaar 2341 2341 2346", 12),
        ],
        "meta": {"mobile": "+91 98123 45678", "nested": {"deeper": ["rajesh@okicici"]}},
    }
    original = repr(payload)
    masked = mask_mapping(payload)
    assert masked == {
        "text": "my card is [CARD ••••1111]",
        "n": 5,
        "amount": 5000.0,
        "ok": True,
        "none": None,
        "turns": [
            {"user": "otp [OTP]", "bot": "Thanks"},
            ("aadhaar [AADHAAR ••••2346]", 12),
        ],
        "meta": {"mobile": "[MOBILE ••••5678]", "nested": {"deeper": ["[UPI ••••@okicici]"]}},
    }
    assert repr(payload) == original  # the input is not modified


def test_mask_mapping_redacts_values_under_secret_keys():
    masked = mask_mapping({"otp": 482913, "OTP_code": "482913", "cvv": "123", "mpin": "4321",
                           "password": "hunter2", "otp_attempts": 2, "pin": ""})
    assert masked == {"otp": "[OTP]", "OTP_code": "[OTP]", "cvv": "[CVV]", "mpin": "[PIN]",
                      "password": "[REDACTED]", "otp_attempts": 2, "pin": ""}


def test_mask_mapping_expect_otp_and_plain_values():
    assert mask_mapping(["482913"], expect_otp=True) == ["[OTP]"]
    assert mask_mapping(["482913"]) == ["482913"]
    assert mask_mapping("cvv 123") == "cvv [CVV]"
    assert mask_mapping(42) == 42


def test_mask_mapping_rejects_cycles():
    a: list = []
    a.append(a)
    with pytest.raises(ValueError):
        mask_mapping({"a": a})


# --------------------------------------------------------------------------- speed


def test_mask_is_fast_on_short_messages():
    messages = [
        "hello, what is my balance?",
        "मेरा कार्ड 4111 1111 1111 1111 है, otp 482913",
        "block my card ending 1234, registered mobile +91 98123 45678, mail rajesh@example.in",
    ]
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        for m in messages:
            mask(m)
    per_message = (time.perf_counter() - t0) / (n * len(messages))
    # Typically 1-30 µs on the 2-core dev machine; the bound is loose so CI noise never flakes it.
    assert per_message < 500e-6


@pytest.mark.parametrize(
    "text",
    [
        "cvv " + " " * 20000 + "x",  # used to backtrack catastrophically in the filler between word and digits
        "otp" + " : " * 10000 + "1234",
        "1 " * 10000,
        "4111 " * 5000,
        ("a" * 300 + "@") * 200,
        "9812345678 " * 2000,
    ],
)
def test_pathological_inputs_stay_roughly_linear(text):
    t0 = time.perf_counter()
    mask(text, expect_otp=True)
    mask(text)
    assert time.perf_counter() - t0 < 2.0


def test_a_context_match_inside_a_run_does_not_hide_the_rest():
    assert mask("cvv 123 9812345678") == "cvv [CVV] [MOBILE ••••5678]"
    # An OTP glued to more digits ranks below the longer number: all of it is masked, the label
    # is less precise, and nothing leaks.
    assert mask("otp 482913 9812345678") == "otp [ACCOUNT ••••5678]"
    assert mask("otp 4829 1345 6789") == "otp [ACCOUNT ••••6789]"
    assert mask("aadhaar 2341 2341 2346 9812345678") == "aadhaar [AADHAAR ••••2346] [MOBILE ••••5678]"


def test_case_references_survive_masking_in_the_audit_trail():
    """A case reference is read by ops in the masked audit trail and console. Its tail starts with a
    letter: six hex digits were all digits about 6% of the time, and the date and tail then read as a
    14-digit account number ("ESC-[ACCOUNT ••••2118]"). 2,000 references would have hit that almost surely."""
    now = time.time()
    for kind in ("escalation", "dispute", "fraud", "other"):
        for _ in range(500):
            reference = new_reference(kind, now)
            assert mask(f"Your reference is {reference}.") == f"Your reference is {reference}.", reference
    assert mask("Your reference is ESC-20261206-492118.") != "Your reference is ESC-20261206-492118."  # the old way
