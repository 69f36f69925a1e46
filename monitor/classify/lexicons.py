"""All cue lexicons by ISO 639-1 code. Each was written by hand for this project (see docs/classifier.md)."""

from __future__ import annotations

from monitor.classify.lexicon_de_fr import DE, FR
from monitor.classify.lexicon_en import EN
from monitor.classify.lexicon_other import ET, RU, ZH
from monitor.classify.lexicon_romance import ES, IT, PT

LEXICONS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": EN,
    "de": DE,
    "fr": FR,
    "es": ES,
    "pt": PT,
    "it": IT,
    "ru": RU,
    "et": ET,
    "zh": ZH,
}
CJK_LANGUAGES = frozenset({"zh", "ja"})
ELIDING_LANGUAGES = frozenset({"fr", "it"})  # "l'app", "n'est": the apostrophe ends a token
