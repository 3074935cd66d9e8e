"""Words, stems and highlights for search in Nepali and English, the same on both databases.

PostgreSQL indexes an article with the text search configuration of its language (`nepali`,
`english`, else `simple`). SQLite cannot stem, so its FTS5 table indexes the text this module
produces (`index_text`, registered on every SQLite connection as the SQL function
`khabar_search_text`): the words PostgreSQL's parser finds, minus the same stopwords, stemmed
by the same Snowball algorithms (the `snowballstemmer` package). The golden set
(tests/articles/test_search_golden.py) checks that both find the same articles.

A query is read in every configuration at once (a Nepali word in a `q` meant for English
articles is still looked up in Nepali ones, and the reverse): the articles matching every word
under at least one configuration match. The last word is also a prefix (search as you type).

Words are runs of letters, digits and combining marks (Devanagari vowel signs and the virama
are marks: splitting at them made `चीन` match `चुनाव`); zero-width (non-)joiners, which Nepali
uses inside words to choose a conjunct's shape, are removed before anything else.
"""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from app.articles import stopwords

CONFIGS = ("nepali", "english", "simple")
MAX_TERMS = 12
MAX_WORD = 100  # characters; a longer "word" in q is no word anyone indexed
_JOINERS = dict.fromkeys((0x200C, 0x200D))


def _word_class(low: int, high: int) -> str:
    # Letters, digits and marks, as PostgreSQL's parser reads them in a UTF-8 database
    # (iswalpha/iswdigit); the underscore is a separator there too.
    ranges: list[tuple[int, int]] = []
    for cp in range(low, high + 1):
        if unicodedata.category(chr(cp))[0] in "LNM":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                   for a, b in ranges)


# A class of characters up to U+FFFF compiles to a lookup table; one that also holds higher
# ones is a list of ranges searched at every character (3x slower over a body). So: the table,
# and past U+FFFF (a cheap range check first) the list.
_BMP = _word_class(0, 0xFFFF)
_ASTRAL = f"(?=[\U00010000-\U0010ffff])[{_word_class(0x10000, sys.maxunicode)}]"
_WORD = re.compile(f"(?:[{_BMP}]|{_ASTRAL})+")
_WORD_AS_WRITTEN = re.compile(f"(?:[{_BMP}\u200c\u200d]|{_ASTRAL})+")
_STEMMERS = {"nepali": snowballstemmer.stemmer("nepali"),
             "english": snowballstemmer.stemmer("english")}
_STOP = {"nepali": stopwords.NEPALI, "english": stopwords.ENGLISH, "simple": frozenset()}


# Postpositions the Snowball Nepali stemmer leaves on a word (`पोखराबाट` stays whole, while
# `पोखरामा` becomes `पोखरा`): split off first, where they end a word, so the noun is indexed on
# its own. PostgreSQL runs the same replacement (migration 0006, `POSTPOSITIONS`).
POSTPOSITIONS = ("बाट", "बीच", "सम्म", "भित्र", "तिर", "प्रति", "बारे")
_POSTPOSITION = re.compile("(" + "|".join(POSTPOSITIONS) + ")"
                          "(?=[^\u0900-\u0963\u0966-\u096f\u0971-\u097fA-Za-z0-9]|\\Z)")


def config_for(language: str | None) -> str:
    """The text search configuration of an article in `language` (a BCP 47 tag)."""
    primary = (language or "").lower().split("-", 1)[0]
    return {"ne": "nepali", "en": "english"}.get(primary, "simple")


def words(text: str | None) -> list[str]:
    """The words of `text`, lower-cased, joiners removed."""
    if not text:
        return []
    # (Two replaces: `str.translate` with a mapping looks up every character, 20x slower.)
    text = text.replace("\u200c", "").replace("\u200d", "")
    return _WORD.findall(_POSTPOSITION.sub(r" \1", text.lower()))


@lru_cache(maxsize=200_000)
def stem(config: str, word: str) -> str | None:
    """The lexeme `word` (lower-cased) is indexed as under `config`; None for a stopword."""
    if word in _STOP[config]:
        return None
    stemmer = _STEMMERS.get(config)
    # PostgreSQL keeps the word when its stem would be empty (`भयो`): so does this.
    return (stemmer.stemWord(word) or word) if stemmer else word


def index_text(language: str | None, text: str | None) -> str:
    """The lexemes of `text` in an article in `language`, space-separated (SQLite's FTS5 input)."""
    config = config_for(language)
    lexemes = (stem(config, w) for w in words(text))
    return " ".join(lex for lex in lexemes if lex)


@dataclass(frozen=True)
class Query:
    """A parsed `q`: per configuration, the lexemes every match must have (the last one also
    as a prefix)."""

    terms: tuple[str, ...]
    variants: tuple[tuple[str, tuple[str, ...]], ...]  # (config, lexemes), distinct, non-empty
    # SQLite: (prefix, the indexed terms it begins), for a last word past the longest prefix
    # index, looked up by app/articles/search.py (`with_long_prefixes`).
    expansions: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.variants)

    def matching(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The variants a match is asked for: those another one does not already imply. The
        index holds lexemes whatever the configuration that made them, so (`school`, `health`,
        `minis*`) finds nothing that (`school`, `health`, `mini*`) does not: asking both cost
        the search twice over (SQLite's `bm25()` reads every phrase's whole doclist)."""
        kept: list[tuple[str, tuple[str, ...]]] = []
        for variant in self.variants:
            if not any(_implies(k[1], variant[1]) for k in kept):
                kept = [k for k in kept if not _implies(variant[1], k[1])] + [variant]
        return tuple(kept)

    def fts_match(self) -> str:
        """An FTS5 MATCH expression: every lexeme quoted, so no operator can be injected. A
        last lexeme in `expansions` is asked as the terms it begins, OR-ed, not as a prefix."""
        alternatives = []
        terms_of = dict(self.expansions)
        for _config, lexemes in self.matching():
            quoted = [_fts_quoted(lex) for lex in lexemes]
            expanded = terms_of.get(lexemes[-1])
            if expanded:
                quoted[-1] = "(" + " OR ".join(_fts_quoted(t) for t in expanded) + ")"
            else:
                quoted[-1] += "*"
            # An explicit AND: FTS5 reads `"a" "b"` as both, but not `"a" ("b" OR "c")`.
            alternatives.append("(" + " AND ".join(quoted) + ")")
        return " OR ".join(alternatives)

    def prefixes(self) -> tuple[str, ...]:
        """The last lexeme of each variant asked (each is also a prefix)."""
        return tuple(dict.fromkeys(lexemes[-1] for _config, lexemes in self.matching()))

    def tsquery_text(self, operator: str = "&") -> str:
        """The `to_tsquery` input of every configuration: quoted words, `&`, `:*` on the last.
        With `|`, any of the words (what ranking weighs: see app/articles/search.py)."""
        quoted = ["'" + t.replace("'", "''").replace("\\", "\\\\") + "'" for t in self.terms]
        quoted[-1] += ":*"
        return f" {operator} ".join(quoted)


def _fts_quoted(lexeme: str) -> str:
    return '"' + lexeme.replace('"', '""') + '"'


def _implies(general: tuple[str, ...], particular: tuple[str, ...]) -> bool:
    """Whether every article with the lexemes of `particular` (the last also as a prefix) has
    those of `general`: its whole words among them, its prefix met by one of them."""
    *words, prefix = general
    *their_words, their_prefix = particular
    return (set(words) <= set(their_words)
            and any(lex.startswith(prefix) for lex in (*their_words, their_prefix)))


def parse(q: str) -> Query:
    terms = tuple(w for w in words(q) if len(w) <= MAX_WORD)[:MAX_TERMS]
    if not terms:
        return Query((), ())
    variants: list[tuple[str, tuple[str, ...]]] = []
    seen: set[tuple[str, ...]] = set()
    for config in CONFIGS:
        lexemes = [stem(config, t) for t in terms]
        kept = tuple(lex for lex in lexemes if lex)
        # PostgreSQL drops a stopword from a tsquery, prefix or not (to_tsquery): same here.
        if kept and kept not in seen:
            seen.add(kept)
            variants.append((config, kept))
    return Query(terms, tuple(variants))


# ---- highlights -------------------------------------------------------------------------

SNIPPET_CHARS = 160


@lru_cache(maxsize=64)  # a page of results asks about the same words many times
def _matcher(query: Query) -> Callable[[str], bool]:
    whole = {(config, lex) for config, lexemes in query.variants for lex in lexemes}
    prefixes = {(config, lexemes[-1]) for config, lexemes in query.variants}

    memo: dict[str, bool] = {}

    def check(word: str) -> bool:
        lowered = word.translate(_JOINERS).lower()
        for config in CONFIGS:
            lex = stem(config, lowered)
            if lex is None:
                continue
            if (config, lex) in whole:
                return True
            if any(c == config and lex.startswith(p) for c, p in prefixes):
                return True
        return False

    def matches(word: str) -> bool:
        found = memo.get(word)
        if found is None:
            found = check(word)
            if len(memo) < 20_000:
                memo[word] = found
        return found

    return matches


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    out, at = [], 0
    for start, end in spans:
        out.append(html.escape(text[at:start], quote=False))
        out.append("<mark>" + html.escape(text[start:end], quote=False) + "</mark>")
        at = end
    out.append(html.escape(text[at:], quote=False))
    return "".join(out)


def _spans(text: str, query: Query) -> list[tuple[int, int]]:
    matches = _matcher(query)
    # Joiners are inside words: match on the text as written, so offsets stay the original's.
    return [m.span() for m in _WORD_AS_WRITTEN.finditer(text) if matches(m.group())]


def _first_match(text: str, query: Query) -> int | None:
    matches = _matcher(query)
    for m in _WORD_AS_WRITTEN.finditer(text):
        if matches(m.group()):
            return m.start()
    return None


def has_match(query: Query, text: str | None) -> bool:
    return bool(text) and _first_match(text or "", query) is not None


def highlight(query: Query, title: str, excerpt: str | None,
              body_text: str | None) -> dict[str, str]:
    """`title` with every matching word in `<mark>`, and a snippet: the excerpt when a word
    matches there, else about `SNIPPET_CHARS` of the body around its first match (else the
    excerpt, or the body's start). Everything else is HTML-escaped."""
    snippet = ""
    for source in (excerpt, body_text):
        if not source:
            continue
        first = _first_match(source, query)
        if first is None:
            continue
        snippet = (_marked(source, _spans(source, query)) if source is excerpt
                   else _window(source, first, query))
        break
    else:
        plain = excerpt or body_text or ""
        snippet = html.escape(_cut(plain, 0), quote=False)
    return {"title": _marked(title, _spans(title, query)), "snippet": snippet}


def _cut(text: str, start: int) -> str:
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return text[start:end]


def _window(text: str, first: int, query: Query) -> str:
    """About `SNIPPET_CHARS` of `text` from a little before `first` (a match), at word
    boundaries, its matches marked; only that part is scanned."""
    start = max(0, first - SNIPPET_CHARS // 4)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    part = _cut(text, start)
    end = start + len(part)
    return ("…" if start else "") + _marked(part, _spans(part, query)) + (
        "…" if end < len(text) else "")
