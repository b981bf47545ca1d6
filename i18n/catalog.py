"""User-facing strings in English and Hindi. Every reply the bot writes comes through `t()`.

Kept as data in one place so translators see every string; a missing translation falls back to
English (and a test fails when a language lacks a key English has).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "ask_identity": {
        "en": "To keep your account safe, I need to verify you first. Please type your registered mobile number or your customer ID.",
        "hi": "आपके खाते की सुरक्षा के लिए पहले आपकी पहचान ज़रूरी है। कृपया अपना रजिस्टर्ड मोबाइल नंबर या कस्टमर आईडी लिखें।",
    },
    "identity_invalid": {
        "en": "That doesn't look like a mobile number or customer ID. Please type your 10-digit registered mobile number or your customer ID (for example CUST_123456).",
        "hi": "यह मोबाइल नंबर या कस्टमर आईडी जैसा नहीं लगता। कृपया अपना 10 अंकों का रजिस्टर्ड मोबाइल नंबर या कस्टमर आईडी (जैसे CUST_123456) लिखें।",
    },
    "otp_sent": {
        "en": "If that matches our records, we have sent a 6-digit OTP to the registered mobile number. Please type it here; it is valid for {minutes} minutes. Never share an OTP on a phone call: the bank will never ask for it there.",
        "hi": "अगर यह हमारे रिकॉर्ड से मेल खाता है, तो रजिस्टर्ड मोबाइल नंबर पर 6 अंकों का OTP भेजा गया है। कृपया उसे यहाँ लिखें; यह {minutes} मिनट तक मान्य है। किसी फ़ोन कॉल पर OTP कभी न बताएँ: बैंक वहाँ कभी OTP नहीं माँगता।",
    },
    "otp_wrong": {
        "en": "That code doesn't match. You have {left} attempt(s) left.",
        "hi": "यह कोड मेल नहीं खाता। आपके पास {left} प्रयास बाकी हैं।",
    },
    "otp_expired": {
        "en": "That code has expired. Tap \"Resend OTP\" for a new one.",
        "hi": "इस कोड की समय-सीमा समाप्त हो गई है। नया कोड पाने के लिए \"OTP दोबारा भेजें\" दबाएँ।",
    },
    "otp_send_limit": {
        "en": "Too many codes have been sent. For your security, please try again in 30 minutes.",
        "hi": "बहुत सारे कोड भेजे जा चुके हैं। आपकी सुरक्षा के लिए कृपया 30 मिनट बाद फिर कोशिश करें।",
    },
    "otp_unavailable": {
        "en": "I can't verify you right now for technical reasons, so I can't share account details. Please try again in a few minutes.",
        "hi": "तकनीकी कारणों से अभी आपकी पहचान सत्यापित नहीं हो पा रही है, इसलिए मैं खाते की जानकारी नहीं दे सकता। कृपया कुछ मिनट बाद फिर कोशिश करें।",
    },
    "otp_failed_escalated": {
        "en": "I couldn't verify you after several attempts, so for your security I've passed this to our customer care team. Your reference is {reference}. An officer will contact you on your registered mobile number.",
        "hi": "कई प्रयासों के बाद भी आपकी पहचान सत्यापित नहीं हो सकी, इसलिए आपकी सुरक्षा के लिए मैंने यह मामला हमारी कस्टमर केयर टीम को सौंप दिया है। आपका रेफ़रेंस नंबर {reference} है। एक अधिकारी आपके रजिस्टर्ड मोबाइल नंबर पर संपर्क करेगा।",
    },
    "verified": {
        "en": "Thank you, you're verified.",
        "hi": "धन्यवाद, आपकी पहचान सत्यापित हो गई है।",
    },
    "balance": {
        "en": "Your {kind} account ending {last4}:\nAvailable balance: {available}\nTotal balance: {ledger}",
        "hi": "आपका {kind} खाता (अंतिम अंक {last4}):\nउपलब्ध शेष राशि: {available}\nकुल शेष राशि: {ledger}",
    },
    "hold_line": {
        "en": "{amount} is on hold: {reason}.",
        "hi": "{amount} होल्ड पर है: {reason}।",
    },
    "freeze_line": {
        "en": "The account is frozen: {reason}. Only the available balance can be used.",
        "hi": "खाता फ़्रीज़ है: {reason}। केवल उपलब्ध शेष राशि का उपयोग किया जा सकता है।",
    },
    "no_accounts": {
        "en": "I couldn't find an open account for you. Let me connect you to our team.",
        "hi": "आपके नाम पर कोई सक्रिय खाता नहीं मिला। मैं आपको हमारी टीम से जोड़ता हूँ।",
    },
    "recent_header": {
        "en": "Your last {count} transactions on the account ending {last4}:",
        "hi": "खाता (अंतिम अंक {last4}) के पिछले {count} लेनदेन:",
    },
    "recent_line": {
        "en": "{date}  {description}  {sign}{amount}{pending}",
        "hi": "{date}  {description}  {sign}{amount}{pending}",
    },
    "pending_mark": {"en": " (pending)", "hi": " (लंबित)"},
    "anything_else": {
        "en": "Is there anything else I can help you with?",
        "hi": "क्या मैं आपकी और कोई मदद कर सकता हूँ?",
    },
    "fallback": {
        "en": "I can help with your balance and statements, your cards (block, unblock, PIN, limits), signing in, a transaction you don't recognise, or your investments and loans; or I can connect you to our team. What would you like to do?",
        "hi": "मैं आपकी शेष राशि और स्टेटमेंट, आपके कार्ड (ब्लॉक, अनब्लॉक, PIN, सीमा), साइन-इन, किसी अनजान लेनदेन, या आपके निवेश और लोन में मदद कर सकता हूँ; या आपको हमारी टीम से जोड़ सकता हूँ। आप क्या करना चाहेंगे?",
    },
    "banking_down": {
        "en": "I can't reach our banking systems right now. Please try again in a few minutes.",
        "hi": "अभी हमारे बैंकिंग सिस्टम से संपर्क नहीं हो पा रहा है। कृपया कुछ मिनट बाद फिर कोशिश करें।",
    },
    "handed_to_human": {
        "en": "I've asked a customer care officer to take over. Your reference is {reference}. They will reply here or call your registered mobile number.",
        "hi": "मैंने एक कस्टमर केयर अधिकारी से बात आगे बढ़ाने को कहा है। आपका रेफ़रेंस नंबर {reference} है। वे यहीं जवाब देंगे या आपके रजिस्टर्ड मोबाइल नंबर पर कॉल करेंगे।",
    },
    "with_human": {
        "en": "Your request is with our customer care team (reference {reference}). An officer will reply here; I'll stay quiet until then.",
        "hi": "आपका अनुरोध हमारी कस्टमर केयर टीम के पास है (रेफ़रेंस {reference})। एक अधिकारी यहीं जवाब देगा; तब तक मैं चुप रहूँगा।",
    },
    # While a person owns the chat, the one notice names the team that has it (else "with_human").
    "with_human_fraud": {
        "en": "Your report is with our fraud team (reference {reference}). An officer will reply here; I'll stay quiet until then. Never share an OTP, PIN or password with anyone.",
        "hi": "आपकी रिपोर्ट हमारी फ्रॉड टीम के पास है (रेफ़रेंस {reference})। एक अधिकारी यहीं जवाब देगा; तब तक मैं चुप रहूँगा। कभी भी OTP, PIN या पासवर्ड किसी को न बताएँ।",
    },
    "with_human_accounts": {
        "en": "Your request is with our accounts team (reference {reference}). An officer will reply here; I'll stay quiet until then.",
        "hi": "आपका अनुरोध हमारी अकाउंट्स टीम के पास है (रेफ़रेंस {reference})। एक अधिकारी यहीं जवाब देगा; तब तक मैं चुप रहूँगा।",
    },
    "with_human_cards": {
        "en": "Your request is with our cards team (reference {reference}). An officer will reply here; I'll stay quiet until then.",
        "hi": "आपका अनुरोध हमारी कार्ड टीम के पास है (रेफ़रेंस {reference})। एक अधिकारी यहीं जवाब देगा; तब तक मैं चुप रहूँगा।",
    },
    "with_human_investment_advisor": {
        "en": "Your request is with a licensed investment advisor (reference {reference}). They will reply here; I'll stay quiet until then.",
        "hi": "आपका अनुरोध एक लाइसेंस प्राप्त निवेश सलाहकार के पास है (रेफ़रेंस {reference})। वे यहीं जवाब देंगे; तब तक मैं चुप रहूँगा।",
    },
    "otp_sms": {
        "en": "{code} is your OTP to verify yourself with {bank}. Valid for {minutes} minutes. Do not share it with anyone.",
        "hi": "{bank} के साथ सत्यापन के लिए आपका OTP {code} है। {minutes} मिनट तक मान्य। इसे किसी के साथ साझा न करें।",
    },
    # Button labels: the customer taps them, so they are also understood as input.
    "btn_balance": {"en": "Check balance", "hi": "बैलेंस देखें"},
    "btn_recent": {"en": "Recent transactions", "hi": "हाल के लेनदेन"},
    "btn_human": {"en": "Talk to an agent", "hi": "एजेंट से बात करें"},
    "btn_resend": {"en": "Resend OTP", "hi": "OTP दोबारा भेजें"},
    "account_kind_savings": {"en": "savings", "hi": "बचत"},
    "account_kind_current": {"en": "current", "hi": "चालू"},
    "account_kind_salary": {"en": "salary", "hi": "वेतन"},
    "account_kind_nre": {"en": "NRE", "hi": "NRE"},
    # The workflow engine's own words (bot/workflows/engine.py); a workflow's texts live in its YAML.
    "btn_yes": {"en": "Yes", "hi": "हाँ"},
    "btn_no": {"en": "No", "hi": "नहीं"},
    "wf_confirm_again": {
        "en": "Please answer Yes or No.",
        "hi": "कृपया हाँ या नहीं में जवाब दें।",
    },
    "wf_choose_again": {
        "en": "Sorry, I didn't catch which one. Please tap one of the options or type its number.",
        "hi": "क्षमा करें, मैं समझ नहीं पाया कि कौन-सा। कृपया किसी विकल्प को दबाएँ या उसका नंबर लिखें।",
    },
    "wf_gave_up": {
        "en": "Let's start over. Nothing has been changed. What would you like to do?",
        "hi": "चलिए फिर से शुरू करते हैं। कुछ भी बदला नहीं गया है। आप क्या करना चाहेंगे?",
    },
    "security_question_dob": {
        "en": "For your security, please type your date of birth as DD-MM-YYYY.",
        "hi": "आपकी सुरक्षा के लिए, कृपया अपनी जन्मतिथि DD-MM-YYYY के रूप में लिखें।",
    },
    "security_answer_wrong": {
        "en": "That doesn't match our records. Please try once more (DD-MM-YYYY).",
        "hi": "यह हमारे रिकॉर्ड से मेल नहीं खाता। कृपया एक बार और लिखें (DD-MM-YYYY)।",
    },
    "security_answer_failed": {
        "en": "I couldn't verify you that way.",
        "hi": "मैं इस तरह आपकी पहचान सत्यापित नहीं कर सका।",
    },
    "handoff_to": {
        "en": "I'm bringing in our {name}, who handles this.",
        "hi": "इसके लिए मैं हमारे {name} को जोड़ रहा हूँ।",
    },
    "handed_back": {
        "en": "You're back with our {name}. Is there anything else I can help with?",
        "hi": "अब आप फिर से हमारे {name} के साथ हैं। क्या मैं और कुछ मदद कर सकता हूँ?",
    },
    "link_sms_password_reset": {
        "en": "{bank}: reset your net banking password here: {url} (valid {minutes} min, single use). Never share this link.",
        "hi": "{bank}: अपना नेट बैंकिंग पासवर्ड यहाँ रीसेट करें: {url} ({minutes} मिनट तक मान्य, एक बार ही)। यह लिंक किसी से साझा न करें।",
    },
    "link_sms_pin_change": {
        "en": "{bank}: set your new card PIN here: {url} (valid {minutes} min, single use). The bank never asks for your PIN.",
        "hi": "{bank}: अपना नया कार्ड PIN यहाँ सेट करें: {url} ({minutes} मिनट तक मान्य, एक बार ही)। बैंक कभी आपका PIN नहीं माँगता।",
    },
    "link_sms_card_limits": {
        "en": "{bank}: change your card limits here: {url} (valid {minutes} min, single use). Never share this link.",
        "hi": "{bank}: अपनी कार्ड सीमाएँ यहाँ बदलें: {url} ({minutes} मिनट तक मान्य, एक बार ही)। यह लिंक किसी से साझा न करें।",
    },
    # An explicit request to change language ("Hindi mein baat karo"), and one for a language not offered.
    "language_switched": {
        "en": "Sure, I'll continue in English. How can I help you?",
        "hi": "ज़रूर, अब मैं हिंदी में बात करूँगा। बताइए, मैं आपकी क्या मदद करूँ?",
    },
    "language_unavailable": {
        "en": "Sorry, I can chat only in {languages} for now. How can I help you?",
        "hi": "क्षमा करें, अभी मैं केवल {languages} में बात कर सकता हूँ। बताइए, मैं आपकी क्या मदद करूँ?",
    },
    # A knowledge-base answer (bot/knowledge/): the section's text, then where it comes from.
    "kb_answer": {
        "en": "{text}\n\nSource: {title}, \"{heading}\" ({source})",
        "hi": "यह जानकारी हमारे दस्तावेज़ से है (अंग्रेज़ी में):\n{text}\n\nस्रोत: {title}, \"{heading}\" ({source})",
    },
    "card_kind_debit": {"en": "debit", "hi": "डेबिट"},
    "card_kind_credit": {"en": "credit", "hi": "क्रेडिट"},
    "loan_kind_home": {"en": "home loan", "hi": "होम लोन"},
    "loan_kind_personal": {"en": "personal loan", "hi": "पर्सनल लोन"},
    "loan_kind_car": {"en": "car loan", "hi": "कार लोन"},
    "loan_kind_education": {"en": "education loan", "hi": "एजुकेशन लोन"},
    "loan_kind_gold": {"en": "gold loan", "hi": "गोल्ड लोन"},
    "status_active": {"en": "active", "hi": "सक्रिय"},
    "status_blocked": {"en": "blocked", "hi": "ब्लॉक"},
    "status_expired": {"en": "expired", "hi": "समाप्त"},
    "status_paused": {"en": "paused", "hi": "रुका हुआ"},
    "status_cancelled": {"en": "cancelled", "hi": "रद्द"},
    # WhatsApp: the list-message button, the reply to media we cannot read, and the one notice per
    # conversation when messages sent during an outage arrive late (they are not answered one by one).
    "wa_list_button": {"en": "Options", "hi": "विकल्प"},
    "wa_unsupported": {
        "en": "Sorry, I can read text messages and voice notes, but not this kind of message. Please type your question.",
        "hi": "क्षमा करें, मैं टेक्स्ट संदेश और वॉइस नोट पढ़ सकता हूँ, पर इस तरह का संदेश नहीं। कृपया अपना सवाल लिखकर भेजें।",
    },
    "wa_back_after_outage": {
        "en": "Sorry for the silence: our WhatsApp service was unavailable for a while and is back now. We have received your earlier messages. Please send your request again and we will help you right away.",
        "hi": "जवाब न दे पाने के लिए क्षमा करें: हमारी WhatsApp सेवा कुछ समय के लिए उपलब्ध नहीं थी और अब फिर से चालू है। आपके पिछले संदेश हमें मिल गए हैं। कृपया अपना अनुरोध दोबारा भेजें, हम तुरंत आपकी मदद करेंगे।",
    },
}

SUPPORTED = ("en", "hi")


def t(key: str, language: str, **values: object) -> str:
    entry = MESSAGES[key]
    template = entry.get(language) or entry["en"]
    return template.format(**values) if values else template


def all_translations(key: str) -> set[str]:
    return set(MESSAGES[key].values())
