"""Hostile source code: random and adversarial Python never makes the analyzer raise or run past its per-file budget.

Hypothesis feeds `scan_source` random text, random bytes, Python-shaped
token soup, deep nesting, huge literals and every codec a coding cookie can
name; the bot's `scan_within` must always return a FileResult, reporting the
file as unanalysable (a FileError) instead of raising or hanging.
"""

from __future__ import annotations

import encodings.aliases
import time

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import FileResult
from bot.budget import scan_within

OPTIONS = ScanOptions()
BUDGET = 5.0
FUZZ = hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PYTHON_BITS = [
    "def ", "f", "(", ")", ":", "\n", "    ", "return ", "x", "=", "1", "'s'", '"""', "[", "]", "{", "}", ",", "lambda ", "yield ",
    "await ", "async ", "class ", "try:", "except", "finally:", "raise ", "if ", "else:", "for ", " in ", "while ", "with ", " as ",
    "import ", "from ", "global ", "nonlocal ", "@", "*", "**", ".", "#", "\\", "f'{", "}'", "match ", "case ", "_", ":=", "->", ";",
]


def scanned(source, path="fuzz.py") -> FileResult:
    started = time.process_time()
    result = scan_within(source, path, OPTIONS, BUDGET)
    assert time.process_time() - started < BUDGET + 2
    assert isinstance(result, FileResult) and result.path == path
    assert result.error is None or result.error.kind and result.error.message
    return result


@FUZZ
@given(st.text(max_size=3000))
def test_random_text_never_raises(source):
    scanned(source)
    scan_source(source, "fuzz.py", OPTIONS)  # the analyzer itself, without the bot's safety net


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(source):
    scanned(source)
    scan_source(source, "fuzz.py", OPTIONS)


@FUZZ
@given(st.lists(st.sampled_from(PYTHON_BITS), max_size=400).map("".join))
def test_python_shaped_soup_never_raises(source):
    scanned(source)
    scan_source(source, "fuzz.py", OPTIONS)


@hypothesis_settings(max_examples=40, deadline=None)
@given(depth=st.integers(min_value=1, max_value=5000), opener=st.sampled_from(["(", "[", "{", "-", "not ", "lambda: ", "f(", "x if y else ("]))
def test_deep_nesting_is_analyzed_or_reported_too_deep(depth, opener):
    closer = {"(": ")", "[": "]", "{": "}", "f(": ")", "x if y else (": ")"}.get(opener, "")
    source = "value = " + opener * depth + "1" + closer * depth + "\n"
    result = scanned(source)
    assert result.error is None or result.error.kind in ("too-deep", "syntax-error")


@pytest.mark.parametrize("depth", [50, 200, 1000])
def test_deeply_nested_blocks_are_analyzed_or_reported_too_deep(depth):
    source = "".join("    " * level + f"if x{level}:\n" for level in range(depth)) + "    " * depth + "pass\n"
    result = scanned(source)
    assert result.error is None or result.error.kind in ("too-deep", "syntax-error")


@pytest.mark.parametrize(
    "source",
    [
        "x = '" + "a" * 5_000_000 + "'\n",
        "x = " + "1" * 100_000 + "\n",  # int max str digits
        "x = [" + "1, " * 100_000 + "]\n",
        "x = b'" + "\\x00" * 100_000 + "'\n",
        "s = '''" + "line\n" * 200_000 + "'''\n",
        "x = " + " + ".join(["1"] * 50_000) + "\n",
    ],
    ids=["5MB-string", "huge-int", "100k-list", "escaped-bytes", "200k-line-string", "50k-term-sum"],
)
def test_huge_literals_are_analyzed_or_reported(source):
    scanned(source)


def cookie_codecs() -> list[str]:
    return sorted(set(encodings.aliases.aliases.values()) | {"punycode", "idna", "rot13", "hex", "base64", "zlib", "bz2", "uu", "undefined", "unicode_escape", "utf_7"})




@pytest.mark.parametrize("codec", cookie_codecs())
def test_every_codec_a_coding_cookie_can_name_is_decoded_or_reported(codec):
    raised = []
    for body in (b"x = 1\n", b"x = '\xe9\xff\x80'\n", b"def f():\n    return 1\n"):
        source = f"# -*- coding: {codec} -*-\n".encode() + body
        scanned(source)  # the bot never fails on it
        try:
            scan_source(source, "fuzz.py", OPTIONS)
        except UnicodeError:
            raised.append(body)
    assert raised == []  # the analyzer's own promise: decoded, or a FileError for the file


@pytest.mark.parametrize(
    "source",
    [
        "\ufeff\ufeffx = 1\n",
        "x = 1\r\ny = 2\rz = 3\n",
        "x\u00a0= 1\n",
        "\u202ex = 1\n",
        "def f():\n\treturn 1\n        return 2\n",
        "x = '\ud800'\n",
        "é = 1\nпривет = 2\n変数 = 3\n",
        "\x0c\x0cx = 1\n",
    ],
    ids=["double-bom", "mixed-newlines", "nbsp", "bidi", "tabs-and-spaces", "lone-surrogate", "unicode-names", "form-feeds"],
)
def test_odd_text_is_analyzed_or_reported(source):
    scanned(source)


def test_a_file_that_takes_too_long_is_reported_as_unanalysable_within_its_budget():
    source = "".join(f"FIELD_{n} = {{'id': {n}, 'tags': [{n}, {n + 1}]}}\n" for n in range(10_000))
    started = time.process_time()
    result = scan_within(source, "generated.py", OPTIONS, 0.1)
    # The budget interrupts Python code; parsing (C, linear) finishes first: about a second here, the whole scan three.
    assert time.process_time() - started < 2.0
    assert result.error is not None and result.error.kind == "time-budget" and result.findings == []
    assert scan_within("def f():\n    return 1\n", "small.py", OPTIONS, 0.1).error is None  # the budget is gone afterwards
