"""Words a regular expression cannot match without, to skip searching a text that lacks them.

Searching a document's text with a case-insensitive pattern costs the regex engine a try at every
character (re.I disables its prefix scan); checking that the text holds a word the pattern needs is
a plain substring test. `Prefiltered.search` and `.finditer` give exactly what the compiled
pattern's own give: they only skip text where no match can be.
"""
from __future__ import annotations

import functools
import re
from re import _constants as C, _parser   # the stdlib's own parser (Python 3.11+)

# Non-ASCII characters that re.IGNORECASE matches to an ASCII letter and str.lower() does not make
# that letter (İ and ı are an i, ſ an s; the Kelvin sign lowers to k by itself);
# tests/read/test_read_literals.py checks this against every code point.
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


@functools.lru_cache(maxsize=4)   # the same text is searched by many patterns in a row (few kept: up to 500,000 characters each)
def fold(text: str) -> str:
    """The text as `Prefiltered` compares it: every character that matches an ASCII letter under
    re.IGNORECASE becomes that letter in lower case."""
    return text.lower() if text.isascii() else text.translate(_ASCII_FOLD).lower()


@functools.lru_cache(maxsize=4)   # the facts of one text ask for it several times
def one_line(text: str) -> str:
    """The text with every run of whitespace a single space: a sentence may wrap anywhere."""
    return " ".join(text.split())


def required_words(pattern: str, flags: int = 0) -> tuple[frozenset[str], ...]:
    """What every match of `pattern` contains, case aside: sets of lower-case ASCII words, each
    set naming alternatives of which a match holds at least one. Empty when nothing can be named
    (then the text is always searched)."""
    try:
        requirements = _requirements(_parser.parse(pattern, flags).data)
    except Exception:
        return ()
    # a non-ASCII literal may match an ASCII character (the Kelvin sign a "k"): such a set is left out
    kept = {frozenset(w.lower() for w in words) for words in requirements if all(w.isascii() for w in words)}
    return tuple(sorted(kept, key=lambda words: (-min(map(len, words)), sorted(words))))


def _requirements(items) -> list[frozenset[str]]:
    """Every set of alternative words that a match of this sequence of parsed items satisfies."""
    out: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        if run:
            out.append(frozenset(["".join(run)]))
            run = []
        if op is C.SUBPATTERN:
            out.extend(_requirements(av[-1].data))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            out.extend(_requirements(av[2].data))
        elif op is C.ATOMIC_GROUP:
            out.extend(_requirements(av.data))
        elif op is C.BRANCH:
            alternatives = [_most_selective(_requirements(alternative.data)) for alternative in av[1]]
            if all(alternatives):
                out.append(frozenset().union(*alternatives))
        # anything else (classes, anchors, look-arounds, optional parts) requires no word
    if run:
        out.append(frozenset(["".join(run)]))
    return out


def _most_selective(requirements: list[frozenset[str]]) -> frozenset[str] | None:
    return max(requirements, key=lambda words: min(map(len, words)), default=None)


def leading_words(pattern: str, flags: int = 0) -> frozenset[str]:
    """Lower-case ASCII words one of which every match of `pattern` starts with (after zero-width
    assertions), case aside; empty when the start cannot be named."""
    try:
        words = _leading(_parser.parse(pattern, flags).data)
    except Exception:
        return frozenset()
    return frozenset(w.lower() for w in words) if words and all(w.isascii() for w in words) else frozenset()


_ZERO_WIDTH = (C.AT, C.ASSERT, C.ASSERT_NOT)


def _leading(items) -> frozenset[str] | None:
    run: list[str] = []
    for k, (op, av) in enumerate(items):
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        if run:
            break
        if op in _ZERO_WIDTH:
            continue
        if op is C.SUBPATTERN:
            return _leading(av[-1].data)
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            inner = _leading(av[2].data)
            if av[0] >= 1 or inner is None:
                return inner
            rest = _leading(items[k + 1:])   # an optional part: the match starts with it or with what follows
            return inner | rest if rest else None
        if op is C.ATOMIC_GROUP:
            return _leading(av.data)
        if op is C.BRANCH:
            alternatives = [_leading(alternative.data) for alternative in av[1]]
            return frozenset().union(*alternatives) if all(alternatives) else None
        return None
    return frozenset(["".join(run)]) if run else None


def looks_ahead(pattern: str, flags: int = 0) -> bool:
    """Whether a match of `pattern` may look at text after its end (a look-ahead anywhere in it;
    a pattern the parser refuses counts as yes). Without one, a match decides nothing by what
    follows its end but the character right there (\\b, $)."""
    try:
        return _has_lookahead(_parser.parse(pattern, flags).data)
    except Exception:
        return True


def _has_lookahead(items) -> bool:
    for op, av in items:
        if op in (C.ASSERT, C.ASSERT_NOT) and av[0] > 0:
            return True
        if any(_has_lookahead(sub) for sub in _subpatterns(av)):
            return True
    return False


def _subpatterns(av):
    """The parsed sequences nested in an item's argument, however deep in tuples and lists."""
    if isinstance(av, _parser.SubPattern):
        yield av.data
    elif isinstance(av, (tuple, list)):
        if av and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], C._NamedIntConstant) for x in av):
            yield list(av)   # a sequence of (op, argument) items itself
        else:
            for x in av:
                yield from _subpatterns(x)


class Prefiltered:
    """A compiled pattern that skips what cannot match: a text lacking a word every match needs is
    not searched, and the search starts where the first word a match can start with is."""

    __slots__ = ("rx", "needs", "starts", "looks_ahead")

    def __init__(self, pattern: str, flags: int = 0):
        self.rx = re.compile(pattern, flags)
        self.looks_ahead = looks_ahead(pattern, flags)
        # a few selective requirements: testing many short alternatives costs more than it saves
        self.needs = tuple(tuple(sorted(words)) for words in required_words(pattern, flags)
                           if len(words) <= 8 and min(map(len, words)) >= 3)[:3]
        self.starts = leading_words(pattern, flags)

    def _start(self, text: str) -> int:
        """Where a match may first start, -1 when none can."""
        folded = fold(text)
        if not self._may_match(folded):
            return -1
        if not self.starts or len(folded) != len(text):   # positions must correspond
            return 0
        found = [i for i in (folded.find(w) for w in self.starts) if i >= 0]
        return min(found) if found else -1

    def lines_that_may_match(self, text: str) -> list[str]:
        """The lines of `text` (as str.splitlines cuts them) a match may lie in, in order."""
        lines = text.splitlines()
        folded = fold(text).splitlines()   # folding maps characters one to one, line breaks to themselves
        if len(folded) != len(lines):
            return lines
        return [line for line, folded_line in zip(lines, folded) if self._may_match(folded_line)]

    def _may_match(self, folded: str) -> bool:
        for words in self.needs:
            for word in words:
                if word in folded:
                    break
            else:
                return False
        return True

    def search(self, text: str):
        start = self._start(text)
        return None if start < 0 else self.rx.search(text, start)

    def found_in_head(self, match, head: str) -> bool:
        """`bool(self.search(head))` for `head`, a beginning of the text where `match` is this
        pattern's first match. A match ending before the end of the head saw only characters of
        the head (no look-ahead: at most the one at its end), so it is a match in the head too."""
        if match.end() < len(head) and not self.looks_ahead:
            return True
        return self.search(head) is not None

    def finditer(self, text: str):
        start = self._start(text)
        return iter(()) if start < 0 else self.rx.finditer(text, start)


class Anchored:
    """A pattern searched only from shortly before the places a match must hold: every match holds
    a match of `anchor` starting at most `reach` characters after its own start, counted in text
    whose white space is single spaces (`one_line`; only such text may be searched). So no match
    starts more than `reach` before the next anchor, and the search resumes there instead of
    trying at every character (which a case-insensitive pattern, or one starting with a common
    character, does). The pattern must never match empty."""

    __slots__ = ("rx", "anchor", "reach")

    def __init__(self, pattern: re.Pattern, anchor: str, reach: int):
        self.rx, self.anchor, self.reach = pattern, re.compile(anchor, pattern.flags), reach

    def finditer(self, flat: str):
        """What `self.rx.finditer(flat)` gives."""
        pos = 0
        while (anchor := self.anchor.search(flat, pos)) is not None:
            m = self.rx.search(flat, max(pos, anchor.start() - self.reach))
            if m is None:
                return
            yield m
            pos = m.end()
