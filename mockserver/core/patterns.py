"""Strings matching a JSON Schema `pattern`, drawn from a random source. Pure.

A `pattern` is ECMA-262 syntax; the constructs Python's `re` lacks are translated first
(`\\p{L}` and the other common Unicode properties as ranges, `(?<name>`, `\\k<name>`,
`\\u{...}`, `\\cX`, `[^]`, `[]`). Then re's own parse tree is walked: classes (negated
ones too) drawn from, repeats counted, one branch of an alternation chosen, group
references repeated, anchors and lookarounds left to the check. Every string returned
passed `re.search` on the translated pattern, with the lengths asked; None when no draw
did, or when the pattern cannot be read at all (the caller decides what then).

Hand-written rather than hypothesis' `from_regex` or `rstr`: the core imports only the
standard library, draws must follow the caller's seeded `random.Random`, and importing
hypothesis costs 0.3 s (more than a whole cold start).
"""

from __future__ import annotations

import functools
import importlib
import random
import re
import string
import warnings
from typing import Any

# re's own parser (stable for decades; named re._parser since 3.11), untyped.
sre_parse: Any = importlib.import_module("re._parser")

# Repeat spans of the first draws: short strings (longer ones only for a `minLength`).
_SPANS = (3, 3, 0, 1, 3, 2, 5, 3)
_MAX_SPAN = 512
_BUDGET = 1024  # characters a draw may reach beyond twice the lengths asked
# What negated classes and `.` are drawn from: printable ASCII, so that the translated
# Unicode properties below (which cover ASCII exactly) judge these characters right.
_ALPHABET = string.ascii_letters + string.digits + " _-.,:;!?@#$%&*+=/<>()[]{}|~^'\"`\\"
_CATEGORY_SETS = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters + "_-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": " -.,:",
}
_LETTERS = "A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
# Unicode properties (general categories, a few scripts) as ranges: exact on ASCII,
# a subset beyond it, which is enough to draw from; the schema checker judges the rest.
_PROPERTIES = {
    "L": _LETTERS,
    "Letter": _LETTERS,
    "Alphabetic": _LETTERS,
    "Alpha": _LETTERS,
    "Lu": "A-Z\u00c0-\u00d6\u00d8-\u00de",
    "Uppercase_Letter": "A-Z\u00c0-\u00d6\u00d8-\u00de",
    "Uppercase": "A-Z\u00c0-\u00d6\u00d8-\u00de",
    "Ll": "a-z\u00b5\u00df-\u00f6\u00f8-\u00ff",
    "Lowercase_Letter": "a-z\u00b5\u00df-\u00f6\u00f8-\u00ff",
    "Lowercase": "a-z\u00b5\u00df-\u00f6\u00f8-\u00ff",
    "N": "0-9\u00b2\u00b3\u00b9\u00bc-\u00be",
    "Number": "0-9\u00b2\u00b3\u00b9\u00bc-\u00be",
    "Nd": "0-9",
    "Decimal_Number": "0-9",
    "digit": "0-9",
    "P": "!-#%-*,-/:;?@\\[-\\]_{}\u00a1\u00a7\u00ab\u00b6\u00b7\u00bb\u00bf",
    "Punctuation": "!-#%-*,-/:;?@\\[-\\]_{}\u00a1\u00a7\u00ab\u00b6\u00b7\u00bb\u00bf",
    "S": "$+<->^`|~\u00a2-\u00a6\u00a8\u00a9\u00ac\u00ae-\u00b1\u00b4\u00d7\u00f7",
    "Symbol": "$+<->^`|~\u00a2-\u00a6\u00a8\u00a9\u00ac\u00ae-\u00b1\u00b4\u00d7\u00f7",
    "M": "\u0300-\u036f",
    "Mark": "\u0300-\u036f",
    "Mn": "\u0300-\u036f",
    "Nonspacing_Mark": "\u0300-\u036f",
    "Pd": "\\-",
    "Dash_Punctuation": "\\-",
    "Sc": "$\u00a2-\u00a5",
    "Currency_Symbol": "$\u00a2-\u00a5",
    "Sm": "+<->|~\u00ac\u00b1\u00d7\u00f7",
    "Math_Symbol": "+<->|~\u00ac\u00b1\u00d7\u00f7",
    "Cc": "\\x00-\\x1f\\x7f-\\x9f",
    "Control": "\\x00-\\x1f\\x7f-\\x9f",
    "Z": " \u00a0",
    "Zs": " \u00a0",
    "Separator": " \u00a0",
    "Space_Separator": " \u00a0",
    "White_Space": "\\t-\\r \u0085\u00a0",
    "ASCII": "\\x00-\\x7f",
    "Any": "\\x00-\\U0010ffff",
    "Latin": "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f",
    "Greek": "\u0370-\u0373\u0375-\u0377\u037b-\u037d\u0384\u0386\u0388-\u03e1\u03f0-\u03ff",
    "Cyrillic": "\u0400-\u0484\u0487-\u052f",
    "Han": "\u4e00-\u9fff",
}


def fits(pattern: str, value: str) -> bool | None:
    """Whether `value` matches `pattern` (searched, as JSON Schema does); None when the
    pattern cannot be read here (the schema checker judges then)."""
    compiled = _compiled(pattern)
    return None if compiled is None else compiled[1].search(value) is not None


def readable(pattern: str) -> bool:
    """Whether strings can be drawn for `pattern` (it translates and compiles)."""
    return _compiled(pattern) is not None


def matching(
    pattern: str, rng: random.Random, min_length: int = 0, max_length: int | None = None
) -> str | None:
    """A string `re.search`-matching `pattern`, its length within the bounds; None when
    no draw gives one."""
    compiled = _compiled(pattern)
    if compiled is None:
        return None
    tree, regex = compiled
    longest = max_length if max_length is not None else 1 << 30
    # Nested repeats multiply: no draw grows past this (then it only fails its check).
    budget = 2 * max(min_length, max_length or 0) + _BUDGET

    def draw(span: int, exact: bool) -> str:
        made = _Walker(rng, span, exact, budget).walk(tree)
        if len(made) < min_length and not _anchored_end(tree):
            made += rng.choice(string.ascii_lowercase) * (min_length - len(made))
        return made

    try:
        for span in _SPANS:
            made = draw(span, exact=False)
            if min_length <= len(made) <= longest and regex.search(made):
                return made
        # The lengths asked: every repeat taken to its longest, the least span that
        # reaches `min_length` found by halves.
        low, high = 0, _MAX_SPAN if min_length else 0
        while low < high:
            span = (low + high) // 2
            if len(draw(span, exact=True)) < min_length:
                low = span + 1
            else:
                high = span
        made = draw(low, exact=True)
        if min_length <= len(made) <= longest and regex.search(made):
            return made
    except (ValueError, KeyError, IndexError):  # a node the walker cannot draw
        return None
    return None


@functools.lru_cache(maxsize=2048)
def _compiled(pattern: str) -> tuple[Any, re.Pattern[str]] | None:
    """The parse tree and compiled form of a translated pattern (memoized: a document has
    a fixed set of patterns, drawn from on every request)."""
    translated = python_pattern(pattern)
    if translated is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # re's FutureWarning on `[[` or `--` in classes
            return sre_parse.parse(translated), re.compile(translated)
    except (re.error, RecursionError, OverflowError):
        return None


def python_pattern(pattern: str) -> str | None:
    """`pattern` (ECMA-262) in Python's `re` syntax; None when a construct has no
    translation here (a Unicode property not in the table, `\\P{..}` inside a class)."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped, i = _escape(pattern, i, in_class)
            if escaped is None:
                return None
            out.append(escaped)
        elif in_class:
            # ECMA reads `[` inside a class as itself; re would warn of a nested set.
            out.append("\\[" if char == "[" else char)
            in_class = char != "]"
            i += 1
        elif pattern.startswith(("[]", "[^]"), i):
            # ECMA's empty class matches nothing; its negation matches anything.
            empty = pattern.startswith("[]", i)
            out.append("(?!)" if empty else "[\\s\\S]")
            i += 2 if empty else 3
        elif char == "[":
            negated = pattern.startswith("^", i + 1)
            out.append("[^" if negated else "[")
            in_class = True
            i += 2 if negated else 1
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str | None, int]:
    """The escape at `i` translated, and where the next token starts."""
    letter = pattern[i + 1]
    if letter in "pP" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        if end < 0:
            return None, i
        name = pattern[i + 3 : end].split("=")[-1]  # `Script=Greek` -> `Greek`
        ranges = _PROPERTIES.get(name)
        if ranges is None or (in_class and letter == "P"):
            return None, i
        if in_class:
            return ranges, end + 1
        return ("[^" if letter == "P" else "[") + ranges + "]", end + 1
    if letter == "k" and pattern.startswith("<", i + 2):
        end = pattern.find(">", i + 3)
        return (None, i) if end < 0 else (f"(?P={pattern[i + 3 : end]})", end + 1)
    if letter == "u" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        try:
            return f"\\U{int(pattern[i + 3 : end], 16):08x}", end + 1
        except ValueError:
            return None, i
    if letter == "c" and i + 2 < len(pattern) and pattern[i + 2].isalpha():
        return f"\\x{ord(pattern[i + 2]) % 32:02x}", i + 3
    if letter == "0" and not pattern[i + 2 : i + 3].isdigit():
        return "\\x00", i + 2
    return pattern[i : i + 2], i + 2


def _anchored_end(tree: Any) -> bool:
    """Whether the pattern ends with `$` or `\\Z` (nothing may be appended then)."""
    items = list(tree)
    return bool(items) and str(items[-1][0]) == "AT" and "END" in str(items[-1][1])


# The nodes that draw characters themselves (the others hold nodes that do).
_CHARACTERS = frozenset({"LITERAL", "NOT_LITERAL", "ANY", "IN", "GROUPREF"})


class _Walker:
    """One draw over a parse tree: what each group matched is kept for back-references."""

    def __init__(self, rng: random.Random, span: int, exact: bool, budget: int) -> None:
        self.rng = rng
        self.span = span
        self.exact = exact  # every repeat `span` past its minimum (bounded by its maximum)
        self.budget = budget
        self.size = 0  # characters drawn so far
        self.groups: dict[int, str] = {}

    def walk(self, tree: Any) -> str:
        made = ""
        for op, arg in tree:
            part = self._node(str(op), arg)
            if str(op) in _CHARACTERS:
                self.size += len(part)
            made += part
        return made

    def _node(self, name: str, arg: Any) -> str:
        if name == "LITERAL":
            return chr(arg)
        if name == "NOT_LITERAL":
            return self.rng.choice([c for c in _ALPHABET if ord(c) != arg])
        if name == "ANY":
            return self.rng.choice(_ALPHABET)
        if name == "IN":
            return self._in(arg)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            most = max(low, min(high, low + self.span))
            count = most if self.exact else self.rng.randint(low, most)
            parts = []
            for _ in range(count):
                if self.size > self.budget:
                    break  # too long already: the draw fails its check
                parts.append(self.walk(sub))
            return "".join(parts)
        if name == "SUBPATTERN":
            made = self.walk(arg[-1])
            if arg[0] is not None:
                self.groups[arg[0]] = made
            return made
        if name == "ATOMIC_GROUP":
            return self.walk(arg)
        if name == "BRANCH":
            return self.walk(self.rng.choice(arg[1]))
        if name == "GROUPREF":
            return self.groups.get(arg, "")
        if name == "GROUPREF_EXISTS":
            group, yes, no = arg
            return self.walk(yes) if group in self.groups else self.walk(no or [])
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            return ""  # anchors and lookarounds: the final search judges the draw
        raise ValueError(f"regex node {name}")

    def _in(self, members: Any) -> str:
        members = list(members)
        if members and str(members[0][0]) == "NEGATE":
            rest = members[1:]
            allowed = [c for c in _ALPHABET if not _member(c, rest)]
            return self.rng.choice(allowed) if allowed else "\u00e9"
        choices: list[str] = []
        for op, arg in members:
            name = str(op)
            if name == "LITERAL":
                choices.append(chr(arg))
            elif name == "RANGE":
                low, high = arg
                choices.extend(chr(c) for c in range(low, min(high, low + 95) + 1))
            elif name == "CATEGORY":
                choices.extend(_CATEGORY_SETS.get(str(arg), "a"))
        if not choices:
            raise ValueError("empty class")
        return self.rng.choice(choices)


def _member(char: str, members: Any) -> bool:
    """Whether `char` is one of a class's members (its NEGATE taken off)."""
    code = ord(char)
    for op, arg in members:
        name = str(op)
        if name == "LITERAL" and arg == code:
            return True
        if name == "RANGE" and arg[0] <= code <= arg[1]:
            return True
        if name == "CATEGORY" and _in_category(char, str(arg)):
            return True
    return False


def _in_category(char: str, category: str) -> bool:
    plain = {
        "CATEGORY_DIGIT": char.isdigit(),
        "CATEGORY_SPACE": char.isspace(),
        "CATEGORY_WORD": char.isalnum() or char == "_",
    }
    if category in plain:
        return plain[category]
    positive = category.replace("NOT_", "")
    return positive in plain and not plain[positive]
