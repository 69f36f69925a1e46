"""Language identification with py3langid (its model ships in the wheel, 4.6 MB, no network).

Restricted to languages our users plausibly write in: fewer candidates make short posts far more accurate.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

# Languages the detector may answer; the ones with a cue lexicon are in monitor.classify.lexicons.
CANDIDATES = (
    "en",
    "zh",
    "it",
    "et",
    "ru",
    "es",
    "de",
    "fr",
    "pt",
    "nl",
    "pl",
    "sv",
    "fi",
    "da",
    "no",
    "cs",
    "uk",
    "tr",
    "ja",
    "ko",
    "ar",
    "lv",
    "lt",
    "ro",
    "hu",
    "el",
    "id",
    "vi",
    "hi",
    "he",
)
MIN_CONFIDENCE = 0.5  # below this (normalised probability) the answer is "und"
UNDETERMINED = "und"

_LETTERS = re.compile(r"[^\W\d_]")
_NOISE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#]\w+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(CANDIDATES))
    return ident


def detect(text: str, hint: str | None = None) -> str:
    """ISO 639-1 code of `text`, or "und". A platform's own tag (`hint`) wins when it names a language."""
    if hint:
        code = hint.strip().lower().replace("_", "-").split("-")[0]
        if len(code) == 2 and code.isalpha():
            return code
    body = _NOISE.sub(" ", text)
    letters = len(_LETTERS.findall(body))
    if letters < 3:
        return UNDETERMINED
    han = len(_HAN.findall(body))
    if han >= 2 and 2 * han >= letters and not _KANA.search(body):
        return "zh"  # any Han without kana: the detector only confuses zh with ja here
    with _lock:  # the identifier keeps per-call state in numpy buffers
        code, prob = _identifier().classify(body)
    return str(code) if prob >= MIN_CONFIDENCE else UNDETERMINED
