"""Recurring terms in a day's complaints: a simple, language-agnostic stand-in for topic clustering.

Words are Unicode letter runs (casefolded, at least 3 letters) minus a small multilingual stopword list and
the brands' own names; Han/Kana runs, which have no spaces between words, count as character bigrams. A term's
count is the number of complaints that contain it, so one angry repeated word does not make a theme. Terms that
nearly always appear together ("customer service hung up") are shown as one theme.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_STOPWORD_TEXT = """
the and for are but not you your with this that have has had was were been being from they them their there
here what when where which who whom why how all any can could would should will just don't dont didn didnt
doesn doesnt isn isnt wasn wasnt won't wont can't cant i'm im i've ive it's its our ours out about after again
also because before between both does did doing each few more most other over same some such than then too
very into onto only own off once under until while these those get got getting still even ever every much many
now one two three day days today yesterday week time times again yet via amp http https www com please thanks
thank hey really like just been since back going make made know want need said say says see seen way well new
let lets anyone someone something anything nothing never always don won aren couldn shouldn wouldn haven hasn
que los las del por con una para como pero más mas sus les este esta esto estos estas ese esa eso hay muy sin
sobre también tambien hasta desde todo todos nos fue son ser han está estan están cuando porque donde quien yo
mi mis tu tus su ya otra otro me te se lo le el la en es
les des une est pas pour que qui dans sur avec par plus mais comme vous nous ils elles leur leurs son ses aux
été être avoir fait tout tous cette ces mon mes ton tes très tres sans encore déjà deja alors aussi bien car
donc quand
der die das und ist nicht ein eine einen einem einer den dem des mit sich auf für fur von zu im ich sie wir
ihr es auch noch nur wie aber wenn oder bei nach aus schon sehr mein meine dein kein keine hat habe haben wird
wurde sind war waren
não nao uma com para por mais como mas foi são sao seu sua isso esse essa está estou meu minha che non per una
sono del della con come anche più piu questo questa mio mia het een van niet zijn voor met maar ook nog wel
dat deze bij naar heb
"""
# English, Spanish, French, German, then the commonest Portuguese, Italian and Dutch words.
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def terms(text: str, *, ignore: frozenset[str] = frozenset()) -> set[str]:
    """The distinct theme terms of one text."""
    text = _HANDLE.sub(" ", _URL.sub(" ", text)).casefold()
    out: set[str] = set()
    for run in _WORD.findall(text):
        if _CJK.match(run):
            chars = [c for c in run if _CJK.match(c)]
            out.update(a + b for a, b in itertools.pairwise(chars))
        elif len(run) >= 3 and run not in STOPWORDS and run not in ignore:
            out.add(run)
    return out


def term_counts(texts: Iterable[str], *, ignore: frozenset[str] = frozenset()) -> Counter[str]:
    """Per term, how many of the texts contain it."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(terms(text, ignore=ignore))
    return counts


@dataclass(frozen=True, slots=True)
class TermGroup:
    """Terms that travel together ("customer", "service", "hung"): one theme, counted by its lead term."""

    lead: str
    terms: tuple[str, ...]  # lead first
    docs: frozenset[int]  # indexes of the texts that contain the lead term


def group_terms(
    texts: Sequence[str],
    *,
    ignore: frozenset[str] = frozenset(),
    limit: int = 8,
    min_count: int = 2,
    together: float = 0.8,
) -> list[TermGroup]:
    """The `limit` most frequent terms (in at least `min_count` texts); a term whose set of texts overlaps a
    more frequent one's by `together` (Jaccard) joins that theme instead of making its own."""
    index: dict[str, set[int]] = defaultdict(set)
    for i, text in enumerate(texts):
        for term in terms(text, ignore=ignore):
            index[term].add(i)
    ranked = sorted((t for t, d in index.items() if len(d) >= min_count), key=lambda t: (-len(index[t]), t))
    groups: list[tuple[str, list[str], set[int]]] = []
    for term in ranked[: limit * 8]:
        docs = index[term]
        home = next((g for g in groups if len(docs & g[2]) / len(docs | g[2]) >= together), None)
        if home is not None:
            home[1].append(term)
        elif len(groups) < limit:
            groups.append((term, [term], docs))
    return [TermGroup(lead, tuple(members), frozenset(docs)) for lead, members, docs in groups]


def label(group: Sequence[str], example: str, *, most: int = 4) -> str:
    """A theme's terms in the order the example uses them, overlapping CJK bigrams joined back into words."""
    text = example.casefold()
    found = sorted((text.find(t), t) for t in group if t in text)
    pieces: list[list[Any]] = []  # [start, end, words]
    for pos, term in found:
        last = pieces[-1] if pieces else None
        if last and _CJK.match(term) and _CJK.match(last[2][-1]) and pos == last[1] - 1:
            last[1], last[2] = pos + len(term), last[2] + term[1:]  # 配達 + 達が -> 配達が
        else:
            pieces.append([pos, pos + len(term), term])
    words = [p[2] for p in pieces] + sorted(t for t in group if t not in text)
    return " · ".join(words[:most])


def brand_words(names: Sequence[str]) -> frozenset[str]:
    """Words of the brand names: every complaint mentions the brand, so it is never a theme."""
    return frozenset(w for name in names for w in _WORD.findall(name.casefold()))
