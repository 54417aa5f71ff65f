"""
The demo queue's catalogue: report texts per category and language (realistic, invented, no real
person), how often each category is reported, the subject types and the trusted flaggers.
"""

from __future__ import annotations

TEXTS = {
    "illegal_drugs": [
        (
            "en",
            "Fresh stock today: pills and powder, discreet delivery across the city within the hour. Price list in DM.",
        ),
        (
            "fr",
            "Livraison rapide de produits, paiement en crypto uniquement, contactez le bot pour la carte.",
        ),
        ("de", "Neue Lieferung eingetroffen, nur für Stammkunden, Bestellung über den Bot."),
    ],
    "weapons": [
        ("en", "Unregistered handguns available, no paperwork, meet-up only. Serious buyers."),
        ("ru", "Продаю без документов, только личная встреча, пишите в личку."),
    ],
    "child_safety": [
        (
            "en",
            "[image withheld: flagged by hash list] Channel advertising private 'content packs' with minors.",
        ),
        (
            "es",
            "[imagen retenida] Grupo que comparte material de menores, enlace de invitación privado.",
        ),
    ],
    "terrorism": [
        ("ar", "[تم حجب المحتوى] قناة تنشر بيانات تمجّد هجومًا حديثًا وتدعو إلى تكراره."),
        (
            "en",
            "Channel reposting an attack video with calls to 'finish the job'; links to a recruiting bot.",
        ),
    ],
    "scams_fraud": [
        (
            "en",
            "Double your USDT in 24 hours, guaranteed by our trading bot. Send to this wallet to join.",
        ),
        ("fa", "سرمایه‌گذاری تضمینی با سود روزانه ۱۰٪، فقط امروز ثبت‌نام کنید."),
        ("uk", "Ви виграли приз! Перейдіть за посиланням і введіть дані картки для отримання."),
        ("fr", "Votre compte sera suspendu : confirmez vos identifiants bancaires via ce lien."),
    ],
    "violence_threats": [
        ("en", "I know where you live and I will make you regret this. Tonight."),
        ("de", "Wir sehen uns morgen vor deiner Schule, dann bist du dran."),
    ],
    "hate_speech": [
        (
            "en",
            "Post calling for an ethnic group to be 'driven out' of the neighbourhood, with a meeting time.",
        ),
        ("fr", "Message appelant à la violence contre une communauté religieuse."),
        ("fa", "پیامی که به خشونت علیه یک اقلیت قومی دعوت می‌کند."),
    ],
    "harassment": [
        (
            "en",
            "Repeated messages mocking a classmate, screenshots shared to a 2,000-member group.",
        ),
        ("es", "Mensajes insultantes diarios a una periodista desde varias cuentas nuevas."),
    ],
    "doxxing": [
        ("en", "Home address and workplace of a local activist posted with 'pay them a visit'."),
        ("ru", "Опубликованы паспортные данные и адрес человека без его согласия."),
    ],
    "ncii": [
        (
            "en",
            "[image withheld] Intimate photos of an ex-partner posted with their name; reported by the person depicted.",
        ),
    ],
    "spam": [
        ("en", "Join my channel for FREE followers!!! Click click click"),
        ("pt", "Ganhe dinheiro fácil em casa, clique no link agora mesmo"),
        ("fa", "کانال ما را دنبال کنید و جایزه بگیرید"),
    ],
    "intellectual_property": [
        ("en", "Full new-release film uploaded in 4K, split into 12 parts."),
        ("de", "Komplette E-Book-Sammlung eines Verlags als ZIP zum Download."),
    ],
    "self_harm": [
        (
            "en",
            "Group sharing methods and 'encouragement' for self-harm, members appear to be teenagers.",
        ),
    ],
    "other": [
        ("en", "Bot impersonating the platform's support team and asking for login codes."),
    ],
}
WEIGHTS = {
    "spam": 18,
    "scams_fraud": 16,
    "harassment": 10,
    "hate_speech": 9,
    "illegal_drugs": 9,
    "violence_threats": 6,
    "intellectual_property": 6,
    "doxxing": 5,
    "weapons": 4,
    "child_safety": 4,
    "terrorism": 3,
    "self_harm": 3,
    "ncii": 3,
    "other": 4,
}
SUBJECT_TYPES = ["message"] * 6 + ["channel", "group", "account", "bot", "media", "search_result"]
FLAGGERS = ["SafeNet Trusted Flagger", "Child Protection Hotline", "Anti-Fraud Alliance"]
