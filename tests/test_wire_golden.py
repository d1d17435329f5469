"""The golden corpus: connexion's HTTP answers, case by case (tests/wire_corpus.py).

tests/golden/wire.json is recorded from the reference engine (`--engine connexion`, stock
connexion); the compiled engine, the default, must answer every case as it does. The
reference engine is played too, so the file cannot drift from what connexion answers.
A mismatch names each differing case with what the golden file expects and what came back.
If the change is intended, re-record with `python -m tests.wire_corpus --write` and review
the diff of tests/golden/wire.json. tests/test_engines.py compares the two engines on
generated requests as well.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.settings import EngineKind
from tests import wire_corpus

SHOWN = 600  # characters of each side shown per differing case


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=True)
    return text if len(text) <= SHOWN else text[:SHOWN] + f"... [{len(text)} chars]"


def differences(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    """One line per case that differs (or is missing on one side), naming its fields."""
    want = {case["name"]: case for case in expected}
    have = {case["name"]: case for case in got}
    lines = []
    for name in [c["name"] for c in expected] + [n for n in have if n not in want]:
        if name not in have:
            lines.append(f"- {name!r}: in the golden file, not played (corpus changed?)")
        elif name not in want:
            lines.append(f"- {name!r}: played, not in the golden file (re-record?)")
        elif want[name] != have[name]:
            fields = sorted(
                key
                for key in set(want[name]) | set(have[name])
                if want[name].get(key) != have[name].get(key)
            )
            for key in fields:
                lines.append(
                    f"- {name!r} {key}: expected {_short(want[name].get(key))}"
                    f" got {_short(have[name].get(key))}"
                )
    return lines


def _golden() -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = json.loads(wire_corpus.GOLDEN.read_text(encoding="utf-8"))
    return recorded


@pytest.mark.timeout(60)
@pytest.mark.parametrize("engine", ["compiled", "connexion"])
def test_the_mock_answers_as_the_golden_corpus_says(engine: EngineKind) -> None:
    problems = differences(_golden(), wire_corpus.fresh_recording(engine=engine))
    assert not problems, (
        f"{len(problems)} difference(s) from {wire_corpus.GOLDEN.name} "
        "(re-record with `python -m tests.wire_corpus --write` if intended):\n"
        + "\n".join(problems)
    )


@pytest.mark.timeout(60)
def test_two_fresh_recordings_are_identical() -> None:
    first, second = wire_corpus.fresh_recording(), wire_corpus.fresh_recording()
    assert not differences(first, second), "\n".join(differences(first, second))


def test_the_corpus_is_big_and_covers_every_public_operation() -> None:
    cases = wire_corpus.CASES
    assert len(cases) >= 120
    assert len({case.name for case in cases}) == len(cases)
    names = " ".join(case.name for case in cases)
    for operation in (
        "createRun",
        "createSyncRun",
        "getRun ",
        "listRuns",
        "getRunById",
        "stopRun",
        "getRunEvents",
        "getWorkflow",
        "listNodes",
        "getMe",
    ):
        assert operation in names, operation


def test_a_changed_answer_is_named_with_expected_and_got() -> None:
    golden = _golden()
    broken = [dict(case) for case in golden]
    broken[0]["status"] = 599
    problems = differences(golden, broken)
    assert problems == [f"- {golden[0]['name']!r} status: expected {golden[0]['status']} got 599"]
