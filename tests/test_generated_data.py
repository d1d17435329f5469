"""Data made from a schema: strings for the patterns real documents use, judged by an
independent ECMA-262 engine (jsonschema-rs, the one the response checker uses); patterns
no string is made for are listed at start and answer a clear 501, never an invalid body."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import Settings
from mockserver.app import create_app
from mockserver.core import patterns
from mockserver.core.samples import Sampler, Unmatched
from mockserver.engine.specification import SpecError
from tests.one_operation import one_operation, served

# Patterns as public documents write them (GitHub, Stripe, Twilio, Kubernetes, ...).
REAL_PATTERNS = [
    r"^[^\s@]+@[^\s@]+\.[^\s@]+$",  # negated classes
    r"^[^/]+/[^/]+$",
    r"^[^<>]*$",
    r"^[^aeiou\s]{3}[^a-z]$",
    r"^\w+\d\s\W\D\S$",  # shorthand classes and their negations
    r"^[\w.-]+$",
    r"^[A-Z]{2,4}-\d{3,}$",  # {m,n}, {m,}
    r"^(foo|bar|baz)$",  # alternation in a group
    r"^(?:v\d+\.){2}\d+$",  # non-capturing group
    r"^.{3,10}$",  # any character
    r"^AC[0-9a-fA-F]{32}$",  # Twilio's sids
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",  # Kubernetes names
    r"^(\([0-9]{3}\))?[0-9]{3}-[0-9]{4}$",
    r"^(?=.*[A-Z])(?=.*\d).{8,}$",  # lookaheads: drawn, then judged
    r"^(\d{4})-\1$",  # a back-reference
    r"\d",  # unanchored: searched, as JSON Schema does
    r"^\p{L}+$",  # ECMA-262 only: Unicode properties
    r"^\p{Lu}\p{Ll}{2,5}$",
    r"^[\p{L}\d _-]+$",
    r"^\P{L}+$",
    r"^(?<year>\d{4})-(?<month>0[1-9]|1[0-2])$",  # ECMA named groups
    r"^\u{1F600}?ok$",
    r"^[\p{L}\p{N}\p{M}\p{Zs}\p{P}]{1,64}$",  # marks too
    r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$",  # AWS tags
    r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD]+",  # AWS text
    r"^arn:aws:iam::\d{12}:role/[\w+=,.@-]+$",
    r"^(?!-)[a-z0-9-]{1,63}(?<!-)$",  # a lookbehind
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE])?$",  # quantities
]


def _judge(pattern: str, **lengths: int) -> Any:
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern, **lengths})


@pytest.mark.parametrize("pattern", REAL_PATTERNS)
def test_strings_made_for_real_patterns_match_them(pattern: str) -> None:
    judge = _judge(pattern)
    for seed in range(20):
        made = patterns.matching(pattern, random.Random(seed))
        assert made is not None and judge.is_valid(made), (pattern, seed, made)


@pytest.mark.parametrize(
    ("pattern", "low", "high"),
    [(r"^[a-z]+$", 20, 30), (r"^[^\s]+$", 40, 40), (r"^\w{2}(-\w{2})*$", 10, 12), (".", 9, 9)],
)
def test_strings_meet_the_lengths_asked_with_the_pattern(pattern: str, low: int, high: int) -> None:
    judge = _judge(pattern, minLength=low, maxLength=high)
    for seed in range(10):
        made = patterns.matching(pattern, random.Random(seed), low, high)
        assert made is not None and judge.is_valid(made), (pattern, made)


@pytest.mark.parametrize("pattern", [r"^(a{2,}){2,}$", r"^((a{2,}){2,}){2,}$", r"^(\w+\s?)*$"])
def test_nested_repeats_stay_near_the_length_asked(pattern: str) -> None:
    # Each repeat at its longest multiplies: a minLength of 30 once made 66,564 characters.
    made = patterns.matching(pattern, random.Random(1), 30)
    assert made is not None and 30 <= len(made) < 100 and _judge(pattern).is_valid(made)


def test_strings_are_deterministic_per_seed() -> None:
    made = [patterns.matching(r"^[^a-z]{5}[a-z]+$", random.Random(7)) for _ in range(2)]
    assert made[0] == made[1]


def test_patterns_that_cannot_be_met_or_read_give_none() -> None:
    assert patterns.matching(r"^[a-c]{2}$", random.Random(0), 5) is None  # lengths
    assert patterns.matching(r"^\p{Nonsense}$", random.Random(0)) is None
    assert patterns.matching(r"^[^\P{L}]$", random.Random(0)) is None
    assert not patterns.readable(r"(unclosed") and patterns.readable(r"^\p{L}$")


# Regular expressions built from the constructs above, at random: each must be met.
_atom = st.one_of(
    st.sampled_from(["a", "Z", "0", "-", r"\.", r"\d", r"\w", r"\s", r"\D", r"\W", r"\S", "."]),
    st.sampled_from(["[a-f]", "[^a-z]", "[^\\s@]", "[A-Z0-9_]", "[^0-9]", r"\p{L}", r"\p{Lu}"]),
)
_quantifier = st.sampled_from(["", "?", "*", "+", "{2}", "{1,3}", "{2,}"])
_piece = st.builds(lambda atom, q: atom + q, _atom, _quantifier)
_sequence = st.lists(_piece, min_size=1, max_size=4).map("".join)
_group = st.lists(_sequence, min_size=1, max_size=3).map(lambda parts: f"({'|'.join(parts)})")
_regex = st.lists(st.one_of(_sequence, _group), min_size=1, max_size=3).map("".join)


@settings(max_examples=150, deadline=None)
@given(body=_regex, anchored=st.booleans(), seed=st.integers(0, 2**32))
def test_any_pattern_of_those_constructs_is_met(body: str, anchored: bool, seed: int) -> None:
    pattern = f"^{body}$" if anchored else body
    made = patterns.matching(pattern, random.Random(seed))
    assert made is not None and _judge(pattern).is_valid(made), (pattern, made)


# --- served -----------------------------------------------------------------------------

UNREADABLE = r"^[^\P{L}]+$"  # double negation inside a class: not translated


def _document(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return one_operation({}, schema)


def test_answers_with_real_patterns_are_valid(tmp_path: Path) -> None:
    properties = {f"p{i}": {"type": "string", "pattern": p} for i, p in enumerate(REAL_PATTERNS)}
    document = _document(properties, sorted(properties))
    client = served(tmp_path, document)
    judge = jsonschema_rs.validator_for(
        document["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
    )
    for n in range(10):
        answer = client.get(f"/things/{n}", headers={"Prefer": "dynamic=true"})
        assert answer.status_code == 200, answer.text
        assert judge.is_valid(answer.json()), answer.json()


def test_a_pattern_no_string_is_made_for(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mockserver")
    unreadable = {"type": "string", "pattern": UNREADABLE}
    properties = {"name": unreadable, "ok": {"type": "string", "pattern": r"^[^a]+$"}}
    # Optional: left out, the rest served.
    answer = served(tmp_path, _document(properties, ["ok"])).get("/things/a")
    assert answer.status_code == 200 and set(answer.json()) == {"ok"}, answer.text
    pointer = "/paths/~1things~1{id}/get/responses/200/content/application~1json/schema"
    assert f"{pointer}/properties/name/pattern: no string is made" in caplog.text
    # Required: a 501 naming the pattern, never an invalid body.
    answer = served(tmp_path, _document(properties, ["name"])).get("/things/a")
    assert answer.status_code == 501
    assert "pattern '^[^\\\\P{L}]+$'" in answer.json()["detail"]
    assert "give the answer an example" in answer.json()["detail"]
    # Its own example stands in.
    properties["name"] = {**unreadable, "example": "Zoë"}
    answer = served(tmp_path, _document(properties, ["name"])).get("/things/a")
    assert answer.status_code == 200 and answer.json()["name"] == "Zoë"


def test_a_format_that_breaks_the_pattern_gives_way_to_it() -> None:
    schema = {"type": "string", "format": "email", "pattern": r"^[a-z]+@corp\.test$"}
    made = Sampler({}, random.Random(1)).sample(schema)
    assert _judge(schema["pattern"]).is_valid(made), made


def test_sampler_leaves_out_optional_items_and_options_it_cannot_make() -> None:
    unreadable = {"type": "string", "pattern": UNREADABLE}
    sampler = Sampler({}, random.Random(0))
    assert sampler.sample({"type": "array", "items": unreadable}) == []
    assert sampler.sample({"anyOf": [unreadable, {"type": "integer", "maximum": 3}]}) in range(4)
    with pytest.raises(Unmatched):
        sampler.sample({"type": "array", "items": unreadable, "minItems": 1})


# --- examples given by externalValue ---------------------------------------------------


def _with_examples(examples: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    document = _document({"id": {"type": "string"}, "n": {"type": "integer"}}, ["id"])
    answer = document["paths"]["/things/{id}"]["get"]["responses"]["200"]
    answer["content"][media] = {**answer["content"].pop("application/json"), "examples": examples}
    return document


def test_examples_in_local_files_are_served_and_urls_never_fetched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mockserver")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "thing.json").write_text('{"id": "from-file", "n": 7}')
    (tmp_path / "examples" / "thing.yaml").write_text("id: from-yaml\nn: 8\n")
    remote = "https://example.com/thing.json"
    examples = {
        "remote": {"externalValue": remote},
        "local": {"summary": "a file", "externalValue": "examples/thing.json"},
        "yaml": {"externalValue": "examples/thing.yaml"},
    }
    client = served(tmp_path, _with_examples(examples))
    assert client.get("/things/a").json() == {"id": "from-file", "n": 7}  # the first served
    yaml_one = client.get("/things/a", headers={"Prefer": "example=yaml"})
    assert yaml_one.json() == {"id": "from-yaml", "n": 8}
    assert "example=yaml" in yaml_one.headers["Preference-Applied"]
    # A URL's example is left out: the others stand in, else made data.
    assert client.get("/things/a", headers={"Prefer": "example=remote"}).json()["n"] == 7
    only_remote = served(tmp_path / "examples", _with_examples({"remote": examples["remote"]}))
    made = only_remote.get("/things/a")
    assert made.status_code == 200 and made.json()["id"] == "a"  # made, the path reflected
    where = "/paths/~1things~1{id}/get/responses/200/content/application~1json/examples/remote"
    assert f"{where}/externalValue: {remote} not served (a URL is never fetched)" in caplog.text


def test_a_text_example_in_a_file_and_an_unreadable_one(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello from a file")
    examples = {"text": {"externalValue": "hello.txt"}}
    document = _with_examples(examples, media="text/plain")
    document["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"]["text/plain"][
        "schema"
    ] = {"type": "string"}
    answer = served(tmp_path, document).get("/things/a")
    assert answer.status_code == 200 and answer.text == "hello from a file"
    missing = _with_examples({"gone": {"externalValue": "nowhere.json"}})
    with pytest.raises(SpecError, match=r"examples/gone/externalValue: cannot read .*nowhere"):
        _refused(tmp_path, missing)


def _refused(tmp_path: Path, document: dict[str, Any]) -> None:
    (tmp_path / "other").mkdir(exist_ok=True)  # another file: the first is parsed once
    path = tmp_path / "other" / "openapi.json"
    path.write_text(json.dumps(document))
    create_app(Settings(spec_path=path))


def test_a_broken_file_behind_a_ref_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "bad.yaml").write_text("Thing: [unclosed\n")
    document = _document({"id": {"$ref": "bad.yaml#/Thing"}}, [])
    with pytest.raises(SpecError, match=r"properties/id: cannot read .*bad\.yaml"):
        _refused(tmp_path, document)
