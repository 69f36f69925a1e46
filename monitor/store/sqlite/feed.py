"""The feed's stream and `monitor search`: newest mentions, filtered through the full-text index mentions_fts.

mentions_fts uses the unicode61 tokenizer (remove_diacritics 2): a token is a run of letters, digits and
private-use characters; case and diacritics are folded. A filter word is matched as a quoted FTS5 prefix
phrase, so it finds every text with a word starting with it ("refun" finds "Refunds"), and no user input
can be read as FTS5 syntax (NEAR, *, quotes, AND/OR).

unicode61 cannot serve two kinds of word, which fall back to a substring test (instr) over a bounded set:
- text in scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar): a whole run of
  such characters is one token, so a word inside the run ("最悪" in "本当に最悪") is not a prefix of any token;
- words without any letter or digit ("$", "?!", an emoji): they produce no token at all.
A word that mixes tokens with punctuation ("e-mail", "$100") uses the index to narrow and instr to keep the
punctuation meaningful.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from monitor.models import MentionFilter
from monitor.store.records import MentionView
from monitor.store.sqlite.connection import SqliteConnection
from monitor.timeutil import parse_time

# A filter without index-served words looks through at most this many of the newest mentions, so a filter
# that matches nothing cannot turn one refresh into a scan of the whole table.
STREAM_WINDOW = 20_000
# A filter with index-served words walks the index's matches newest first within this many of the newest
# mentions: ten times the reach of the substring window for about the same worst case, since only matches
# are visited (and the walk stops at the stream's LIMIT).
FTS_WINDOW = 200_000

_NO_SPACE_SCRIPTS = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)

_COLUMNS = (
    "m.platform, m.id, m.brand, m.created_at, m.fetched_at, coalesce(m.language, m.lang), m.complaint, "
    "m.severity, m.text, m.author_handle, m.url, "
    "(SELECT c.id FROM cases c WHERE c.platform = m.platform AND c.mention_id = m.id)"
)
_NEWEST_POSTED = "m.created_at DESC, m.rowid DESC"


def _token_char(ch: str) -> bool:
    """What unicode61 keeps inside a token by default: letters, numbers, private use (L*, N*, Co)."""
    cat = unicodedata.category(ch)
    return cat[0] in "LN" or cat == "Co"


def _no_space_script(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _NO_SPACE_SCRIPTS)


def fts_phrase(word: str) -> str:
    """`word` as an FTS5 prefix phrase: quoted (inner quotes doubled), so it is never read as syntax."""
    return '"' + word.replace('"', '""') + '"*'


def split_words(words: tuple[str, ...] | list[str]) -> tuple[list[str], list[str]]:
    """(words the index serves, words needing a substring test). A word may be in both (see module doc)."""
    indexed: list[str] = []
    substring: list[str] = []
    for word in words:
        if not any(_token_char(ch) for ch in word) or any(_no_space_script(ch) for ch in word):
            substring.append(word)
            continue
        indexed.append(word)
        if any(not _token_char(ch) and not ch.isspace() for ch in word):
            substring.append(word)
    return indexed, substring


def _terms_sql(flt: MentionFilter, substring: list[str]) -> tuple[str, list[Any]]:
    """brand:/platform:/lang: terms (case-insensitive) and substring words, as ' AND ...' clauses on m."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("m.brand", flt.brand),
        ("m.platform", flt.platform),
        ("coalesce(m.language, m.lang)", flt.lang),
    ):
        if value:
            clauses.append(f"lower({column}) = lower(?)")
            params.append(value)
    for word in substring:
        clauses.append("instr(lower(m.text), lower(?)) > 0")
        params.append(word)
    return "".join(f" AND {c}" for c in clauses), params


def _view(r: tuple[Any, ...]) -> MentionView:
    return MentionView(
        platform=r[0],
        id=r[1],
        brand=r[2],
        created_at=parse_time(r[3]),
        fetched_at=parse_time(r[4]),
        language=r[5],
        complaint=None if r[6] is None else bool(r[6]),
        severity=r[7],
        text=r[8],
        author_handle=r[9],
        url=r[10],
        case_id=r[11],
    )


class FeedSql(SqliteConnection):
    def recent_mentions(self, limit: int, flt: MentionFilter | None = None) -> list[MentionView]:
        """The newest mentions in arrival order, optionally filtered (see the module doc for the bounds)."""
        flt = flt or MentionFilter()
        indexed, substring = split_words(flt.words)
        where, params = _terms_sql(flt, substring)
        with self.errors():
            top = 0
            if flt.active:
                top = self.conn.execute("SELECT max(rowid) FROM mentions").fetchone()[0] or 0
            if indexed:
                # FTS5 hands out its matches in rowid order itself: no sort, the LIMIT ends the walk
                sql = (
                    f"SELECT {_COLUMNS} FROM mentions_fts f JOIN mentions m ON m.rowid = f.rowid "
                    f"WHERE mentions_fts MATCH ? AND f.rowid > ?{where} ORDER BY f.rowid DESC LIMIT ?"
                )
                args: list[Any] = [" AND ".join(map(fts_phrase, indexed)), top - FTS_WINDOW, *params, limit]
            elif flt.active:
                sql = f"SELECT {_COLUMNS} FROM mentions m WHERE m.rowid > ?{where} ORDER BY m.rowid DESC LIMIT ?"
                args = [top - STREAM_WINDOW, *params, limit]
            else:
                sql = f"SELECT {_COLUMNS} FROM mentions m ORDER BY m.rowid DESC LIMIT ?"
                args = [limit]
            rows = self.conn.execute(sql, args).fetchall()
        return [_view(r) for r in rows]

    def search(self, text: str, limit: int) -> list[MentionView]:
        """Mentions containing every whitespace-separated word of `text`, newest posted first, over all history.

        Words the index serves are matched through it; the rest (see the module doc) by a substring test,
        which scans the mentions when no word narrows through the index: a one-off command can afford it.
        """
        indexed, substring = split_words(text.split())
        if not indexed and not substring:
            return []
        where, params = _terms_sql(MentionFilter(), substring)
        with self.errors():
            if indexed:
                sql = (
                    f"SELECT {_COLUMNS} FROM mentions_fts f JOIN mentions m ON m.rowid = f.rowid "
                    f"WHERE mentions_fts MATCH ?{where} ORDER BY {_NEWEST_POSTED} LIMIT ?"
                )
                args: list[Any] = [" AND ".join(map(fts_phrase, indexed)), *params, limit]
            else:
                sql = f"SELECT {_COLUMNS} FROM mentions m WHERE 1{where} ORDER BY {_NEWEST_POSTED} LIMIT ?"
                args = [*params, limit]
            rows = self.conn.execute(sql, args).fetchall()
        return [_view(r) for r in rows]
