"""How players say what the articles say otherwise, per language: idioms dropped, phrases and words widened.

- Idioms that carry no topic ("no idea", "for some reason", "thanks in advance") are dropped
  before the search, so "I have no idea what my password was" is not about ideas.
- Phrases that mean one word of the articles ("money back" -> refund, "kicks me out" -> crash) are
  read as that word.
- Words players use where the articles use others (slang, chat spellings, near synonyms:
  "pw" -> password, "kid" -> child, "hot" -> overheating) are searched as themselves and, a little
  more weakly, as those words.

General language, not tied to one game: the articles' own `questions:` are where a manager adds
the ways players ask about their topics. Written in lower case without accents, as compared.
How players describe a problem ("my phone is cooking") is in `engine.knowledge.symptoms`, read
the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache

from engine.knowledge import symptoms
from engine.knowledge.analysis import strip_accents

SYNONYM_WEIGHT = 0.8  # a synonym is good evidence, a little weaker than the word itself

_IDIOMS = {
    "en": """no idea | no clue | for some reason | for no reason at all | thanks in advance | any help
        | i was wondering | is there a way | is there any way | does anyone know | what do i do
        | what should i do | at all | right now | all of a sudden | out of nowhere | by the way
        | to be honest | for a while | the other day | last night | this morning | every time""",
    "es": """ni idea | no tengo idea | por alguna razon | gracias de antemano | alguien sabe
        | que hago | de repente | hay alguna forma | hay forma | la verdad""",
    "pt": """nao faco ideia | sei la | por algum motivo | desde ja obrigado | alguem sabe | o que eu faco
        | do nada | tem como | tem algum jeito""",
    "fr": """aucune idee | je sais pas | je ne sais pas | pour une raison | merci d'avance | quelqu'un sait
        | je fais comment | tout a coup | d'un coup | est-ce qu'il y a moyen""",
    "tl": """ewan ko | hindi ko alam | di ko alam | salamat in advance | may nakakaalam ba | ano gagawin ko
        | bigla na lang | biglang""",
    "hi": """पता नहीं | समझ नहीं आ रहा | कोई बताओ | pata nahi""",
}

_PHRASES = {
    "en": {
        "money back": "refund",
        "paid for": "purchase",
        "kicks me out": "crash",
        "kicked me out": "crash",
        "shuts down": "crash",
        "closes itself": "crash",
        "won't open": "crash",
        "wont open": "crash",
        "doesn't open": "crash",
        "doesnt open": "crash",
        "log in": "login",
        "sign in": "login",
        "logged out": "login",
        "get in": "login",
        "two factor": "two-step",
        "2fa": "two-step",
        "would be nice": "feature",
        "would be cool": "feature",
        "you should add": "feature",
        "please add": "feature",
        "could you add": "feature",
        "can you add": "feature",
        "heats up": "overheating",
        "jumping around": "drift",
        "teleporting": "drift",
        "my son": "child",
        "my daughter": "child",
        "little brother": "child",
        "little sister": "child",
    },
    "es": {
        "devolucion del dinero": "reembolso",
        "me cobraron": "cargo",
        "se cierra": "cierra",
        "se traba": "congela",
        "pantalla negra": "cierra",
        "iniciar sesion": "sesion",
        "mi hijo": "hijo",
        "mi hija": "hijo",
        "seria bueno": "sugerencia",
        "estaria bien": "sugerencia",
        "se calienta": "calienta",
    },
    "pt": {
        "dinheiro de volta": "reembolso",
        "fui cobrado": "cobranca",
        "me cobraram": "cobranca",
        "fecha sozinho": "fecha",
        "tela preta": "fecha",
        "fazer login": "login",
        "meu filho": "filho",
        "minha filha": "filho",
        "seria legal": "sugestao",
        "seria bom": "sugestao",
        "esquenta muito": "esquenta",
    },
    "fr": {
        "rembourse": "remboursement",
        "se ferme": "plante",
        "ecran noir": "plante",
        "me connecter": "connexion",
        "mon fils": "enfant",
        "ma fille": "enfant",
        "ce serait bien": "suggestion",
        "ca serait bien": "suggestion",
        "chauffe beaucoup": "chauffe",
    },
    "tl": {
        "mag log in": "login",
        "mag-log in": "login",
        "anak ko": "anak",
        "sana may": "suggestion",
        "sana magdagdag": "suggestion",
        "ibalik ang pera": "refund",
    },
    "hi": {},
}

_WORDS = {
    "en": {
        "pw": "password",
        "pass": "password",
        "passcode": "password",
        "forgor": "forgot",
        "hacked": "password",
        "hacker": "password",
        "crashing": "crash",
        "crashes": "crash",
        "crashed": "crash",
        "closes": "crash",
        "quits": "crash",
        "freezes": "frozen",
        "freezing": "frozen",
        "frozen": "freezes",
        "launch": "start",
        "boot": "start",
        "opening": "open",
        "banned": "ban",
        "ban": "banned",
        "suspended": "suspension",
        "strike": "ban",
        "terminated": "ban",
        "spoofing": "spoof",
        "appeal": "ban",
        "unban": "appeal",
        "battery": "drain",
        "drains": "battery",
        "hot": "overheating",
        "heat": "overheating",
        "overheats": "overheating",
        "burning": "overheating",
        "warm": "overheating",
        "lag": "performance",
        "laggy": "performance",
        "location": "gps",
        "drifting": "drift",
        "avatar": "character",
        "raid": "raids",
        "event": "events",
        "cday": "community",
        "cd": "community",
        "schedule": "events",
        "login": "log",
        "signin": "sign",
        "authenticate": "login",
        "disappeared": "gone",
        "vanished": "gone",
        "missing": "lost",
        "gone": "lost",
        "deleted": "lost",
        "patch": "update",
        "updated": "update",
        "kid": "child",
        "kids": "child",
        "son": "child",
        "daughter": "child",
        "parent": "parental",
        "minor": "child",
        "age": "old",
        "refund": "refunds",
        "refunded": "refund",
        "charged": "charge",
        "bought": "purchase",
        "buy": "purchase",
        "paid": "purchase",
        "coins": "purchase",
        "glitch": "bug",
        "glitched": "bug",
        "bugged": "bug",
        "broken": "bug",
        "suggestion": "feature",
        "suggest": "feature",
        "idea": "feature",
        "wish": "feature",
        "swap": "trade",
        "trading": "trade",
        "traded": "trade",
        "friend": "friends",
        "buddy": "friend",
    },
    "es": {
        "contra": "contrasena",
        "clave": "contrasena",
        "crashea": "cierra",
        "crash": "cierra",
        "crashear": "cierra",
        "baneado": "suspension",
        "baneada": "suspension",
        "ban": "suspension",
        "baneo": "suspension",
        "bateria": "bateria",
        "chaval": "hijo",
        "nino": "hijo",
        "nina": "hijo",
        "crio": "hijo",
        "bug": "error",
        "glitch": "error",
        "idea": "sugerencia",
        "intercambiar": "intercambio",
        "tradear": "intercambio",
        "loguear": "sesion",
        "login": "sesion",
    },
    "pt": {
        "senha": "senha",
        "crashando": "fecha",
        "crasha": "fecha",
        "crash": "fecha",
        "banido": "suspensao",
        "banida": "suspensao",
        "ban": "suspensao",
        "moleque": "filho",
        "crianca": "filho",
        "bug": "erro",
        "glitch": "erro",
        "ideia": "sugestao",
        "trocar": "troca",
        "logar": "login",
        "sumiu": "sumiram",
        "sumiram": "perdi",
    },
    "fr": {
        "mdp": "mot de passe",
        "crash": "plante",
        "crashe": "plante",
        "bannie": "suspension",
        "banni": "suspension",
        "ban": "suspension",
        "gamin": "enfant",
        "gosse": "enfant",
        "bug": "bug",
        "idee": "suggestion",
        "echanger": "echange",
        "disparu": "perdu",
        "disparus": "perdu",
    },
    "tl": {
        "nagcrash": "crash",
        "nagka-crash": "crash",
        "nacrash": "crash",
        "nabanned": "banned",
        "ban": "banned",
        "bata": "anak",
        "nawala": "nawawala",
        "nawawala": "nawala",
        "idea": "suggestion",
        "i-trade": "trade",
        "mag-trade": "trade",
    },
    "hi": {},
}


@lru_cache(maxsize=32)
def _idioms(language: str) -> re.Pattern[str] | None:
    phrases = [p.strip() for p in _IDIOMS.get(language, "").split("|") if p.strip()]
    if not phrases:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


@lru_cache(maxsize=32)
def _phrases(language: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
    table = _PHRASES.get(language, {}) | symptoms.PHRASES.get(language, {})
    if not table:
        return None
    ordered = sorted(table, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in ordered) + r")(?!\w)"), table


def rewrite(language: str, text: str) -> str:
    """`text` with its topic-less idioms dropped and its known phrases read as one word.

    Compared in lower case without accents (in Hindi, as written); the text that comes back is in
    that form too.
    """
    folded = text.casefold().replace("\u2019", "'")  # phones type ’ for '
    folded = folded if language == "hi" else strip_accents(folded)
    idioms = _idioms(language)
    if idioms is not None:
        folded = idioms.sub(" ", folded)
    phrases = _phrases(language)
    if phrases is not None:
        pattern, table = phrases
        folded = pattern.sub(lambda m: table[m.group()], folded)
    return folded


def synonyms(language: str, word: str) -> tuple[str, ...]:
    """Words of the articles a player's word (folded) may stand for; () when there are none."""
    found = _WORDS.get(language, {}).get(word) or symptoms.WORDS.get(language, {}).get(word)
    return tuple(found.split()) if found else ()
