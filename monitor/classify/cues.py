"""Language-independent complaint cues: lexicon hits with negation, punctuation, emoji, handles.

Every language maps its words to the same cue categories, so a model that learned from English cue counts
applies to any language with a lexicon (translation-free transfer). Matching works on tokens with a dict
lookup per token (and per prefix for stems), which is linear in the text length.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from monitor.classify.lexicons import CJK_LANGUAGES, ELIDING_LANGUAGES, LEXICONS
from monitor.text import for_model

CATEGORIES = (
    "problem",
    "negative",
    "blame",
    "praise",
    "request",
    "persist",
    "churn",
    "public",
    "spam",
    "question",
    "profanity",
    "you",
    "self",
)
NEGATABLE = frozenset({"problem", "negative", "praise", "blame"})
NEGATION_WINDOW = 3  # tokens before a cue that can negate it ("not at all happy")
CJK_NEGATION_WINDOW = 2  # characters before a cue ("不好", "没有收到")
MAX_TEXT = 2000  # characters looked at; longer posts are cut (a care team reads the start first)

NEGATIVE_EMOJI = frozenset("😡😠🤬😤😞😢😭👎💩🙄😒😑😩😫😖😣☹🙁😕😔💔🤮🤦😾")
POSITIVE_EMOJI = frozenset("😍😊🙏👍🎉😀😁😃😄🥰😘❤💕💖💯👏🙌✨🤩☺😎💪🔥🥳")

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![A-Za-z0-9_.])@\w+")  # Weibo-style "谢谢@品牌" counts too
_HASHTAG = re.compile(r"(?<!\w)#\w+")
_TOKEN = re.compile(r"[\w']+|[^\w\s]")
_TOKEN_ELIDING = re.compile(r"\w+'|[\w']+|[^\w\s]")  # "l'app" -> "l'", "app"
_ELONGATED = re.compile(r"(\w)\1{2,}")

DENSE_NAMES: tuple[str, ...] = (
    *CATEGORIES,
    "neg_praise",
    "neg_problem",
    "qmark",
    "exclaim",
    "caps",
    "handles",
    "handle_first",
    "hashtags",
    "urls",
    "length",
    "digits",
    "pos_emoji",
    "neg_emoji",
    "elongated",
    "ellipsis",
)


def fold(text: str) -> str:
    """Lower case, NFKC, Latin accents removed, typographic apostrophes unified: how cues and text are compared.

    Only Latin letters lose their marks ("é" -> "e"); Cyrillic "й" must stay distinct from "и" ("ё" -> "е").
    """
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("`", "'").replace("ё", "е")
    if text.isascii():
        return text
    return "".join(_fold_char(ch) for ch in text)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ord(ch) >= 0x250:
        return ch
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


def clean(text: str) -> str:
    """Control and invisible formatting characters become spaces, lone surrogates U+FFFD; the length is capped."""
    return for_model(text[:MAX_TEXT])


@dataclass(frozen=True, slots=True)
class _Entry:
    category: str
    tokens: tuple[str, ...]
    stem: bool  # the last token is a prefix
    text: str  # as written in the lexicon, for reasons


@dataclass(slots=True)
class _Index:
    exact: dict[str, list[_Entry]] = field(default_factory=dict)  # first token -> entries
    stems: dict[str, list[_Entry]] = field(default_factory=dict)  # single-token stems
    negators: frozenset[str] = frozenset()
    max_len: int = 1  # CJK: longest entry in characters
    cjk: bool = False
    tokenizer: re.Pattern[str] = _TOKEN


@lru_cache(maxsize=64)
def _index(lang: str) -> _Index:
    lexicon = LEXICONS.get(lang, LEXICONS["en"])
    cjk = lang in CJK_LANGUAGES
    idx = _Index(cjk=cjk, tokenizer=_TOKEN_ELIDING if lang in ELIDING_LANGUAGES else _TOKEN)
    negators: set[str] = set()
    for category, entries in lexicon.items():
        for raw in entries:
            text = fold(raw)
            if category == "negator":
                negators.add(text)
                continue
            stem = text.endswith("*")
            body = text.rstrip("*")
            if cjk:
                entry = _Entry(category, (body,), False, raw)
                idx.exact.setdefault(body, []).append(entry)
                idx.max_len = max(idx.max_len, len(body))
                continue
            tokens = tuple(idx.tokenizer.findall(body))
            if not tokens:
                continue
            entry = _Entry(category, tokens, stem, raw)
            if stem and len(tokens) == 1:
                idx.stems.setdefault(tokens[0], []).append(entry)
            else:
                idx.exact.setdefault(tokens[0], []).append(entry)
    idx.negators = frozenset(negators)
    return idx


@dataclass(slots=True)
class Cues:
    counts: dict[str, float]
    hits: list[tuple[str, str]]  # (category, cue as written), in text order; negated ones marked "not ..."
    dense: list[float]


def _matches(tokens: list[str], i: int, entry: _Entry) -> bool:
    n = len(entry.tokens)
    if i + n > len(tokens):
        return False
    for k in range(1, n):
        want, got = entry.tokens[k], tokens[i + k]
        if k == n - 1 and entry.stem:
            if not got.startswith(want):
                return False
        elif got != want:
            return False
    return True


def _word_hits(tokens: list[str], idx: _Index) -> Iterable[tuple[int, _Entry]]:
    for i, tok in enumerate(tokens):
        for entry in idx.exact.get(tok, ()):
            if len(entry.tokens) == 1 or _matches(tokens, i, entry):
                yield i, entry
        if idx.stems:
            for p in range(2, len(tok) + 1):
                for entry in idx.stems.get(tok[:p], ()):
                    yield i, entry


def _cjk_hits(text: str, idx: _Index) -> Iterable[tuple[int, _Entry]]:
    n = len(text)
    for i in range(n):
        for length in range(1, min(idx.max_len, n - i) + 1):
            for entry in idx.exact.get(text[i : i + length], ()):
                yield i, entry


def extract(text: str, lang: str) -> Cues:
    """Cue counts and dense features for one text in language `lang` (unknown languages use English cues)."""
    raw = clean(text)
    urls = len(_URL.findall(raw))
    body = _URL.sub(" ", raw)
    handles = _HANDLE.findall(body)
    handle_first = 1.0 if body.lstrip().startswith("@") else 0.0
    hashtags = len(_HASHTAG.findall(body))
    body = _HANDLE.sub(" ", body)
    folded = fold(body)
    idx = _index(lang if lang in LEXICONS else "en")
    counts = dict.fromkeys(CATEGORIES, 0.0)
    counts["neg_praise"] = 0.0
    counts["neg_problem"] = 0.0
    hits: list[tuple[str, str]] = []
    if idx.cjk:
        seq: str | list[str] = folded
        found = _cjk_hits(folded, idx)
        window = CJK_NEGATION_WINDOW
    else:
        seq = idx.tokenizer.findall(folded)
        found = _word_hits(seq, idx)
        window = NEGATION_WINDOW
    for i, entry in found:
        cat = entry.category
        first = entry.tokens[0][:1] if idx.cjk else entry.tokens[0]
        if cat in NEGATABLE and first not in idx.negators and _negated(seq, i, idx.negators, window):
            if cat == "praise":
                counts["neg_praise"] += 1
                hits.append(("negative", "not " + entry.text))
            else:
                counts["neg_problem"] += 1
            continue
        counts[cat] += 1
        hits.append((cat, entry.text))
    letters = [ch for ch in body if ch.isalpha()]
    upper = sum(1 for ch in letters if ch.isupper())
    tokens_n = len(body.split())
    dense_extra = {
        "qmark": float(body.count("?") + body.count("？")),
        "exclaim": float(body.count("!") + body.count("！")),
        "caps": upper / len(letters) if len(letters) >= 8 and not idx.cjk else 0.0,
        "handles": float(len(handles)),
        "handle_first": handle_first,
        "hashtags": float(hashtags),
        "urls": float(urls),
        "length": float(tokens_n if not idx.cjk else len(folded) / 2),
        "digits": float(sum(1 for ch in body if ch.isdigit()) > 0),
        "pos_emoji": float(sum(1 for ch in body if ch in POSITIVE_EMOJI)),
        "neg_emoji": float(sum(1 for ch in body if ch in NEGATIVE_EMOJI)),
        "elongated": float(len(_ELONGATED.findall(folded))),
        "ellipsis": float(body.count("...") + body.count("…")),
    }
    counts.update(dense_extra)
    dense = [math.log1p(counts[name]) if name != "caps" else counts[name] for name in DENSE_NAMES]
    return Cues(counts=counts, hits=hits, dense=dense)


_CLAUSE_END = frozenset(",.;:!?，。；：！？…")


def _negated(seq: str | list[str], i: int, negators: frozenset[str], window: int) -> bool:
    """A negator within `window` tokens (characters for CJK) before position i, in the same clause."""
    for j in range(i - 1, max(-1, i - 1 - window), -1):
        item = seq[j]
        if item in _CLAUSE_END:
            return False
        if item in negators:
            return True
    return False
