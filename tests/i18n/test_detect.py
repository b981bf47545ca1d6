"""Language and script detection: realistic banking messages in every supported language and script,
mixed-script messages, switch requests, short messages that keep the conversation's language, and the
`detect_language` function the conversation graph, WhatsApp and email already call."""

from __future__ import annotations

import dataclasses

import pytest

from i18n.detect import LANGUAGES, MAX_CHARS, SCRIPTS, Detection, detect, detect_language

# (message, conversation's current language, expected language, expected script)
# All of these are confident: the message itself decides the language, and none asks to switch.
CONFIDENT = [
    # Hindi, Devanagari
    ("मेरा बैलेंस क्या है", "en", "hi", "Deva"),
    ("मेरा कार्ड खो गया, कार्ड ब्लॉक करो", "en", "hi", "Deva"),
    ("मुझे पिछले पांच लेनदेन दिखाओ", "en", "hi", "Deva"),
    ("मेरे खाते से 5000 रुपये कट गए लेकिन मैंने कोई पेमेंट नहीं किया", "en", "hi", "Deva"),
    ("मेरी EMI कब कटेगी?", "en", "hi", "Deva"),
    ("नेट बैंकिंग का पासवर्ड भूल गया हूँ", "en", "hi", "Deva"),
    ("मेरा अकाउंट ब्लॉक हो गया है", "mr", "hi", "Deva"),
    ("क्या आप मेरा पिन बदल सकते हैं?", "en", "hi", "Deva"),
    ("मुझे होम लोन के बारे में जानकारी चाहिए", "en", "hi", "Deva"),
    ("यह लेनदेन मैंने नहीं किया है", "ta", "hi", "Deva"),
    ("मेरी एसआईपी की स्थिति बताइए", "en", "hi", "Deva"),
    ("कल मेरे खाते में सैलरी नहीं आई", "en", "hi", "Deva"),
    ("नमस्ते", "en", "hi", "Deva"),  # an Indic-script greeting chooses the language
    # Marathi, Devanagari
    ("माझे कार्ड ब्लॉक करा", "en", "mr", "Deva"),
    ("माझ्या खात्यात किती शिल्लक आहे?", "hi", "mr", "Deva"),
    ("मला माझा पिन बदलायचा आहे", "en", "mr", "Deva"),
    ("माझ्या खात्यातून पैसे कापले गेले पण मी व्यवहार केला नाही", "hi", "mr", "Deva"),
    ("कर्जाचा हप्ता कधी आहे?", "en", "mr", "Deva"),
    ("मला स्टेटमेंट पाहिजे", "en", "mr", "Deva"),
    ("तुम्ही माझे नेट बँकिंग सुरू करू शकता का?", "hi", "mr", "Deva"),
    ("माझे खाते बंद झाले आहे", "en", "mr", "Deva"),
    ("मला एजंटशी बोलायचे आहे", "en", "mr", "Deva"),
    ("माझ्या कार्डचा पिन विसरलो", "hi", "mr", "Deva"),
    # Bengali
    ("আমার কার্ড ব্লক করুন", "en", "bn", "Beng"),
    ("আমার অ্যাকাউন্টে কত টাকা আছে?", "hi", "bn", "Beng"),
    ("গত পাঁচটা লেনদেন দেখান", "en", "bn", "Beng"),
    ("আমি এই লেনদেনটি করিনি", "en", "bn", "Beng"),
    ("আমার নেট ব্যাংকিং পাসওয়ার্ড ভুলে গেছি", "en", "bn", "Beng"),
    ("আমার লোনের কিস্তি কবে?", "en", "bn", "Beng"),
    ("আমার অ্যাকাউন্ট কেন ব্লক হয়েছে?", "en", "bn", "Beng"),
    ("৫০০০ টাকা কেটে নিয়েছে কিন্তু আমি কিছু কিনিনি", "en", "bn", "Beng"),
    # Tamil
    ("என் கணக்கில் இருப்பு எவ்வளவு?", "en", "ta", "Taml"),
    ("என் கார்டை முடக்கவும்", "hi", "ta", "Taml"),
    ("கடைசி ஐந்து பரிவர்த்தனைகளைக் காட்டுங்கள்", "en", "ta", "Taml"),
    ("இந்த பரிவர்த்தனையை நான் செய்யவில்லை", "en", "ta", "Taml"),
    ("என் கணக்கு ஏன் முடக்கப்பட்டுள்ளது?", "en", "ta", "Taml"),
    ("என் பின் நம்பரை மாற்ற வேண்டும்", "en", "ta", "Taml"),
    ("கடன் தவணை எப்போது?", "en", "ta", "Taml"),
    ("வணக்கம்", "en", "ta", "Taml"),
    # Telugu
    ("నా ఖాతా బ్యాలెన్స్ ఎంత?", "en", "te", "Telu"),
    ("నా కార్డు బ్లాక్ చేయండి", "hi", "te", "Telu"),
    ("చివరి ఐదు లావాదేవీలు చూపించండి", "en", "te", "Telu"),
    ("ఈ లావాదేవీ నేను చేయలేదు", "en", "te", "Telu"),
    ("నా నెట్ బ్యాంకింగ్ పాస్‌వర్డ్ మర్చిపోయాను", "en", "te", "Telu"),  # with a ZWNJ
    ("నా లోన్ EMI ఎప్పుడు?", "en", "te", "Telu"),
    ("నా ఖాతా ఎందుకు బ్లాక్ అయింది?", "en", "te", "Telu"),
    # Gujarati
    ("મારું બેલેન્સ કેટલું છે?", "en", "gu", "Gujr"),
    ("મારું કાર્ડ બ્લોક કરો", "hi", "gu", "Gujr"),
    ("છેલ્લા પાંચ વ્યવહારો બતાવો", "en", "gu", "Gujr"),
    ("આ વ્યવહાર મેં નથી કર્યો", "en", "gu", "Gujr"),
    ("મારી SIP ની સ્થિતિ શું છે?", "en", "gu", "Gujr"),
    ("મારા ખાતામાંથી પૈસા કપાઈ ગયા", "en", "gu", "Gujr"),
    # Punjabi, Gurmukhi
    ("ਮੇਰਾ ਬਕਾਇਆ ਕਿੰਨਾ ਹੈ?", "en", "pa", "Guru"),
    ("ਮੇਰਾ ਕਾਰਡ ਬਲਾਕ ਕਰੋ", "hi", "pa", "Guru"),
    ("ਪਿਛਲੇ ਪੰਜ ਲੈਣ-ਦੇਣ ਦਿਖਾਓ", "en", "pa", "Guru"),
    ("ਇਹ ਲੈਣ-ਦੇਣ ਮੈਂ ਨਹੀਂ ਕੀਤਾ", "en", "pa", "Guru"),
    ("ਮੇਰਾ ਡੈਬਿਟ ਕਾਰਡ ਕਿਉਂ ਬੰਦ ਹੈ?", "en", "pa", "Guru"),
    ("ਮੈਨੂੰ ਲੋਨ ਦੀ ਕਿਸ਼ਤ ਬਾਰੇ ਦੱਸੋ", "en", "pa", "Guru"),
    # Kannada
    ("ನನ್ನ ಖಾತೆಯ ಬ್ಯಾಲೆನ್ಸ್ ಎಷ್ಟು?", "en", "kn", "Knda"),
    ("ನನ್ನ ಕಾರ್ಡ್ ಬ್ಲಾಕ್ ಮಾಡಿ", "hi", "kn", "Knda"),
    ("ಕೊನೆಯ ಐದು ವಹಿವಾಟುಗಳನ್ನು ತೋರಿಸಿ", "en", "kn", "Knda"),
    ("ಈ ವಹಿವಾಟು ನಾನು ಮಾಡಿಲ್ಲ", "en", "kn", "Knda"),
    ("ನನ್ನ ಖಾತೆ ಏಕೆ ಸ್ಥಗಿತಗೊಂಡಿದೆ?", "en", "kn", "Knda"),
    ("ಸಾಲದ ಕಂತು ಯಾವಾಗ?", "en", "kn", "Knda"),
    # Malayalam
    ("എന്റെ അക്കൗണ്ടിലെ ബാലൻസ് എത്ര?", "en", "ml", "Mlym"),
    ("എന്റെ കാർഡ് ബ്ലോക്ക് ചെയ്യൂ", "hi", "ml", "Mlym"),
    ("അവസാനത്തെ അഞ്ച് ഇടപാടുകൾ കാണിക്കൂ", "en", "ml", "Mlym"),
    ("ഈ ഇടപാട് ഞാൻ ചെയ്തിട്ടില്ല", "en", "ml", "Mlym"),
    ("എന്റെ പിൻ മാറ്റണം", "en", "ml", "Mlym"),
    ("ലോൺ തവണ എപ്പോഴാണ്?", "en", "ml", "Mlym"),
    # Odia
    ("ମୋ ଆକାଉଣ୍ଟରେ କେତେ ବାଲାନ୍ସ ଅଛି?", "en", "or", "Orya"),
    ("ମୋ କାର୍ଡ ବ୍ଲକ କରନ୍ତୁ", "hi", "or", "Orya"),
    ("ଶେଷ ପାଞ୍ଚଟି କାରବାର ଦେଖାନ୍ତୁ", "en", "or", "Orya"),
    ("ଏହି କାରବାର ମୁଁ କରିନାହିଁ", "en", "or", "Orya"),
    ("ମୋ ପିନ ବଦଳାଇବାକୁ ଚାହୁଁଛି", "en", "or", "Orya"),
    ("ମୋ ଆକାଉଣ୍ଟ କାହିଁକି ବନ୍ଦ ହୋଇଛି?", "en", "or", "Orya"),
    # English: short ambiguous words ("do", "me", "to", "a") don't make it Hinglish
    ("check my balance", "hi", "en", "Latn"),
    ("do I have money in my account?", "hi", "en", "Latn"),
    ("do I have money", "hinglish", "en", "Latn"),
    ("I want to block my debit card", "hi", "en", "Latn"),
    ("Please show me my last five transactions", "hi", "en", "Latn"),
    ("I didn't make this payment of Rs 5,000", "hi", "en", "Latn"),
    ("What is the interest rate on my home loan?", "hi", "en", "Latn"),
    ("How do I reset my net banking password?", "hi", "en", "Latn"),
    ("My card was stolen yesterday", "hi", "en", "Latn"),
    ("Can you send me the statement for March?", "hi", "en", "Latn"),
    ("When is my next EMI due?", "hi", "en", "Latn"),
    ("to whom did I pay 2000 on Monday?", "hi", "en", "Latn"),
    ("Do me a favour and check the balance", "hi", "en", "Latn"),
    ("Please tell me the balance of my account ji", "hi", "en", "Latn"),
    ("What is the status of my complaint, bhai", "hi", "en", "Latn"),
    # Hinglish, Latin script
    ("block kar do", "en", "hinglish", "Latn"),
    ("maine ye 5000 ka payment nahi kiya", "en", "hinglish", "Latn"),
    ("card block karo", "en", "hinglish", "Latn"),
    ("mera balance kitna hai", "en", "hinglish", "Latn"),
    ("mera card kho gaya hai", "en", "hinglish", "Latn"),
    ("pichle 5 transactions dikhao", "en", "hinglish", "Latn"),
    ("mere account se paise kat gaye", "hi", "hinglish", "Latn"),
    ("net banking ka password bhool gaya", "en", "hinglish", "Latn"),
    ("EMI kab kategi?", "en", "hinglish", "Latn"),
    ("mujhe agent se baat karni hai", "en", "hinglish", "Latn"),
    ("bhai mera UPI payment fail ho gaya lekin paisa kat gaya", "en", "hinglish", "Latn"),
    ("account kyu block hua?", "en", "hinglish", "Latn"),
    ("PIN kaise change karu", "en", "hinglish", "Latn"),
    ("haan ji, mera card block kar do", "en", "hinglish", "Latn"),
    ("abhi tak refund nahiii aaya", "en", "hinglish", "Latn"),  # typed emphasis
    ("I want to block my card, mera card kho gaya hai", "en", "hinglish", "Latn"),
    ("card 4111 1111 1111 1111 block karo", "en", "hinglish", "Latn"),
    # Mixed scripts: an Indic sentence with English banking words stays in its language
    ("मेरा card ब्लॉक करो", "en", "hi", "Deva"),
    ("मेरा debit card block करो", "en", "hi", "Latn"),
    ("मेरा कार्ड नंबर 4111 1111 1111 1111 है", "en", "hi", "Deva"),
    ("माझे credit card ब्लॉक करा", "en", "mr", "Deva"),
    ("माझे debit card block करा", "hi", "mr", "Latn"),
    ("আমার ATM card ব্লক করুন", "en", "bn", "Beng"),
    ("என் debit card-ஐ block செய்யுங்கள்", "en", "ta", "Taml"),
    ("నా credit card limit పెంచండి", "en", "te", "Latn"),  # Latin letters win, the language does not follow
    ("Please send the statement to my email, धन्यवाद", "hi", "en", "Latn"),  # one Hindi word: English
]


@pytest.mark.parametrize(("text", "current", "language", "script"), CONFIDENT)
def test_detects_language_and_script(text, current, language, script):
    assert detect(text, current) == Detection(language=language, script=script, confident=True, switch_to=None)


# (message, current, expected script): the message says nothing about language, so `current` is kept.
KEEPS_CURRENT = [
    ("ok", "hi", "Latn"),
    ("okay", "ta", "Latn"),
    ("Okkk", "hi", "Latn"),
    ("haan", "en", "Latn"),
    ("haan", "hi", "Latn"),
    ("haan ji", "en", "Latn"),
    ("yes", "hi", "Latn"),
    ("No", "mr", "Latn"),
    ("theek hai", "en", "Latn"),
    ("ok thanks", "bn", "Latn"),
    ("thank you", "hi", "Latn"),
    ("hello", "hi", "Latn"),
    ("namaste", "hi", "Latn"),
    ("nahi", "en", "Latn"),
    ("1234", "mr", "Zyyy"),
    ("123456", "hi", "Zyyy"),
    ("१२३४५६", "en", "Zyyy"),  # Devanagari digits are digits, not letters
    ("👍", "bn", "Zyyy"),
    ("?", "en", "Zyyy"),
    ("2", "te", "Zyyy"),
    ("12-03-1984", "hi", "Zyyy"),
    ("+91 98123 45678", "hi", "Zyyy"),
    ("₹5,000", "ta", "Zyyy"),
    ("4111 1111 1111 1111", "gu", "Zyyy"),
    ("", "hi", "Zyyy"),
    ("CUST_123456", "en", "Latn"),
    ("balance", "hinglish", "Latn"),  # a loanword both Latin-script languages use
    ("Recent transactions", "hinglish", "Latn"),
    ("UPI", "en", "Latn"),
    ("A", "hi", "Latn"),  # an option letter
    ("हाँ", "en", "Deva"),  # an answer, not a choice of language
    ("हां जी", "en", "Deva"),
    ("ठीक है", "en", "Deva"),
    ("नहीं", "en", "Deva"),
    ("ठीक आहे", "hi", "Deva"),
    ("হ্যাঁ", "en", "Beng"),
    ("சரி", "en", "Taml"),
    ("అవును", "en", "Telu"),
    ("ಹೌದು", "en", "Knda"),
    ("ശരി", "en", "Mlym"),
    ("ਹਾਂ ਜੀ", "en", "Guru"),
    ("હા", "en", "Gujr"),
    ("ହଁ", "en", "Orya"),
    ("बैलेंस", "mr", "Deva"),  # Devanagari without markers: Marathi stays Marathi
]


@pytest.mark.parametrize(("text", "current", "script"), KEEPS_CURRENT)
def test_short_or_neutral_message_keeps_current_language(text, current, script):
    assert detect(text, current) == Detection(language=current, script=script, confident=False, switch_to=None)


@pytest.mark.parametrize(("text", "language", "script"), [
    ("ok", "en", "Latn"),
    ("👍", "en", "Zyyy"),
    ("balance", "en", "Latn"),
    ("हाँ", "hi", "Deva"),
    ("சரி", "ta", "Taml"),
    ("ਹਾਂ", "pa", "Guru"),
])
def test_neutral_message_without_current_language_falls_back_to_its_script(text, language, script):
    assert detect(text, None) == Detection(language=language, script=script, confident=False, switch_to=None)


@pytest.mark.parametrize("current", ["hi", "mr", "ta", "bn"])
def test_a_bare_latin_word_is_english_outside_latin_script_conversations(current):
    # Compatibility: the conversation graph has always answered "balance" typed in Latin in English.
    assert detect("balance", current) == Detection(language="en", script="Latn", confident=True, switch_to=None)
    assert detect_language("Recent transactions", current) == "en"


def test_devanagari_without_markers_is_hindi_when_the_conversation_is_not_in_hindi_or_marathi():
    assert detect("बैलेंस", "en") == Detection(language="hi", script="Deva", confident=True, switch_to=None)
    assert detect("बैलेंस", "hi").language == "hi"


# (message, current, requested language, script)
SWITCHES = [
    ("Hindi mein baat karo", "en", "hi", "Latn"),
    ("hindi me bolo", "en", "hi", "Latn"),
    ("Hindi", "en", "hi", "Latn"),
    ("English please", "hi", "en", "Latn"),
    ("English", "hi", "en", "Latn"),
    ("speak in English", "hi", "en", "Latn"),
    ("switch to English", "hi", "en", "Latn"),
    ("Can we continue in English?", "hi", "en", "Latn"),
    ("no, English please", "hi", "en", "Latn"),
    ("Hindi nahi aati, English mein bolo", "hi", "en", "Latn"),
    ("I don't understand Hindi please use English", "hi", "en", "Latn"),
    ("angrezi mein jawab do", "hi", "en", "Latn"),
    ("Hinglish mein baat karo", "en", "hinglish", "Latn"),
    ("tamil la pesunga", "en", "ta", "Latn"),
    ("in Telugu please", "en", "te", "Latn"),
    ("telugu lo matladandi", "en", "te", "Latn"),
    ("Can you reply in Kannada?", "en", "kn", "Latn"),
    ("kannada dalli maatadi", "en", "kn", "Latn"),
    ("please talk to me in Malayalam", "en", "ml", "Latn"),
    ("Gujarati ma vaat karo", "en", "gu", "Latn"),
    ("punjabi vich gal karo", "en", "pa", "Latn"),
    ("odia re katha kuhantu", "en", "or", "Latn"),
    ("bangla te bolun", "en", "bn", "Latn"),
    ("Marathi madhe bola", "en", "mr", "Latn"),
    ("हिंदी में बात करो", "en", "hi", "Deva"),
    ("हिन्दी में जवाब दीजिए", "en", "hi", "Deva"),
    ("इंग्लिश में बात कीजिए", "hi", "en", "Deva"),
    ("अंग्रेज़ी में जवाब दीजिए", "hi", "en", "Deva"),  # with a nukta
    ("अंग्रेजी में बोलो", "hi", "en", "Deva"),  # without
    ("मराठीत बोला", "hi", "mr", "Deva"),
    ("कृपया मराठीमध्ये सांगा", "hi", "mr", "Deva"),
    ("தமிழில் பேசுங்கள்", "en", "ta", "Taml"),
    ("தமிழ்", "en", "ta", "Taml"),
    ("ஆங்கிலத்தில் பேசுங்கள்", "ta", "en", "Taml"),
    ("বাংলায় বলুন", "en", "bn", "Beng"),
    ("ইংরেজিতে বলুন", "bn", "en", "Beng"),
    ("తెలుగులో మాట్లాడండి", "en", "te", "Telu"),
    ("ಕನ್ನಡದಲ್ಲಿ ಮಾತನಾಡಿ", "en", "kn", "Knda"),
    ("മലയാളത്തിൽ സംസാരിക്കൂ", "en", "ml", "Mlym"),
    ("മലയാളത്തില്\u200d സംസാരിക്കൂ", "en", "ml", "Mlym"),  # the older spelling without a chillu letter
    ("ગુજરાતીમાં વાત કરો", "en", "gu", "Gujr"),
    ("ਪੰਜਾਬੀ ਵਿੱਚ ਗੱਲ ਕਰੋ", "en", "pa", "Guru"),
    ("ଓଡ଼ିଆରେ କୁହନ୍ତୁ", "en", "or", "Orya"),
]


@pytest.mark.parametrize(("text", "current", "language", "script"), SWITCHES)
def test_explicit_switch_request(text, current, language, script):
    assert detect(text, current) == Detection(language=language, script=script, confident=True, switch_to=language)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_can_be_asked_for_by_its_english_name(code):
    name = {"en": "English", "hi": "Hindi", "hinglish": "Hinglish", "mr": "Marathi", "bn": "Bengali",
            "ta": "Tamil", "te": "Telugu", "gu": "Gujarati", "pa": "Punjabi", "kn": "Kannada",
            "ml": "Malayalam", "or": "Odia"}[code]
    assert detect(f"Please speak in {name}", "en").switch_to == code


# (message, current, language): a language is named, but nobody asks to talk in it.
NOT_SWITCHES = [
    ("Is the app available in Hindi?", "hi", "en"),
    ("I don't understand Hindi", "hi", "en"),
    ("my Hindi statement", "hi", "en"),
    ("Send my statement in English", "hi", "en"),
    ("Hindi mat bolo", "hi", "hinglish"),
    ("বাংলা বুঝি না", "en", "bn"),
    ("मुझे तमिल नहीं आती", "en", "hi"),
]


@pytest.mark.parametrize(("text", "current", "language"), NOT_SWITCHES)
def test_naming_a_language_is_not_always_a_switch(text, current, language):
    detection = detect(text, current)
    assert detection.switch_to is None
    assert detection.language == language


@pytest.mark.parametrize(("text", "current", "expected"), [
    ("मेरा बैलेंस क्या है", "en", "hi"),
    ("नमस्ते", "en", "hi"),
    ("check my balance", "hi", "en"),
    ("ok", "hi", "hi"),
    ("1234", "en", "en"),
    ("haan", "hi", "hi"),
    ("card block karo", "hi", "en"),  # Hinglish is answered in English until catalogs have Hinglish
    ("Hinglish mein baat karo", "hi", "en"),
    ("English please", "hi", "en"),
    ("Hindi mein baat karo", "en", "hi"),
    ("என் கணக்கில் இருப்பு எவ்வளவு?", "en", "ta"),
    ("माझे कार्ड ब्लॉक करा", "hi", "mr"),
    ("আমার কার্ড ব্লক করুন", "en", "bn"),
])
def test_detect_language_keeps_its_old_contract(text, current, expected):
    assert detect_language(text, current) == expected


def test_only_the_first_max_chars_are_read():
    english = "check my balance " * (MAX_CHARS // 17 + 1)
    tamil = "என் கணக்கில் இருப்பு எவ்வளவு? " * 500
    assert detect(english + tamil, "ta") == Detection(language="en", script="Latn", confident=True, switch_to=None)
    assert detect(tamil + english, "en").language == "ta"


def test_a_long_neutral_prefix_hides_what_follows_it():
    assert detect("1" * MAX_CHARS + " mera balance kitna hai", "ta").language == "ta"


def test_unknown_current_language_is_an_error():
    with pytest.raises(ValueError, match="fr"):
        detect("hello there, how are you", "fr")


def test_detection_is_frozen_and_uses_the_declared_codes():
    detection = detect("మీ బ్యాంక్ యాప్ పని చేయడం లేదు", "en")
    assert detection.language in LANGUAGES and detection.script in SCRIPTS
    with pytest.raises(dataclasses.FrozenInstanceError):
        detection.language = "en"  # type: ignore[misc]
