"""Hostile documents: served, or refused with a message naming the place (a JSON
pointer), never a traceback; and a property over generated documents: whatever the
mock serves answers bodies its response checker and openapi-core accept."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openapi_core import OpenAPI

from apicontract.spec import Spec
from mockserver import Settings
from mockserver.app import create_app
from mockserver.engine.specification import CACHE_VARIABLE, SpecError
from tests.one_operation import one_operation, served
from tests.own_spec import HOST, calls, judged
from tests.test_generated_data import REAL_PATTERNS


def _refusal(tmp_path: Path, document: Any) -> str:
    with pytest.raises(SpecError) as refused:
        served(tmp_path, document)
    return str(refused.value)


def test_circular_parameter_refs_are_refused_naming_the_pointer(tmp_path: Path) -> None:
    document = one_operation(
        {}, {"type": "string"}, parameters=[{"$ref": "#/components/parameters/A"}]
    )
    document["components"]["parameters"] = {
        "A": {"$ref": "#/components/parameters/B"},
        "B": {"$ref": "#/components/parameters/A"},
    }
    message = _refusal(tmp_path, document)
    assert "circular" in message and "#/components/parameters/A" in message
    assert (
        "/paths/~1things~1{id}/get/parameters/0" in message or "/components/parameters" in message
    )


def test_a_ref_to_nothing_and_an_external_ref_are_refused_naming_the_pointer(
    tmp_path: Path,
) -> None:
    missing = one_operation({}, {"$ref": "#/components/schemas/Nowhere"})
    message = _refusal(tmp_path, missing)
    assert "#/components/schemas/Nowhere points at nothing" in message
    pointer = "/paths/~1things~1{id}/get/responses/200/content/application~1json/schema"
    assert pointer in message
    external = one_operation({}, {"$ref": "other.yaml#/Thing"})
    message = _refusal(tmp_path, external)
    assert "cannot read" in message and "other.yaml" in message and pointer in message
    remote = one_operation({}, {"$ref": "https://example.com/thing.yaml#/Thing"})
    message = _refusal(tmp_path, remote)
    assert "is a URL (not fetched" in message and pointer in message


def test_refs_to_other_local_files_are_brought_in(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "thing.yaml").write_text(
        "Thing:\n  type: object\n  required: [id, size]\n  properties:\n"
        "    id: {type: string}\n    size: {$ref: 'sizes.yaml#/Size'}\n"
    )
    (tmp_path / "schemas" / "sizes.yaml").write_text(
        "Size: {type: integer, minimum: 3, maximum: 3}\n"
    )
    document = one_operation({}, {"$ref": "schemas/thing.yaml#/Thing"})
    client = served(tmp_path, document)
    assert client.get("/things/abc").json() == {"id": "abc", "size": 3}
    (tmp_path / "schemas" / "sizes.yaml").write_text("Size: {$ref: 'thing.yaml#/Thing'}\n")
    (tmp_path / "schemas" / "thing.yaml").write_text("Thing: {$ref: 'sizes.yaml#/Size'}\n")
    other = tmp_path / "other"
    other.mkdir()
    for name in ("thing.yaml", "sizes.yaml"):
        (other / name).write_text((tmp_path / "schemas" / name).read_text())
    looping = one_operation({}, {"$ref": "other/thing.yaml#/Thing"})
    assert "circular across files" in _refusal(tmp_path, looping)


def test_a_schema_recursing_inside_another_file_is_served_bounded(tmp_path: Path) -> None:
    (tmp_path / "tree.yaml").write_text(
        "Node:\n  type: object\n  required: [name, children]\n  properties:\n"
        "    name: {type: string, minLength: 2, maxLength: 2}\n"
        "    children: {type: array, items: {$ref: '#/Node'}}\n"
        "    parent: {$ref: '#/Node'}\n"
        "    leaf: {$ref: 'leaf.yaml#/Leaf'}\n"
    )
    (tmp_path / "leaf.yaml").write_text(
        "Leaf: {type: object, properties: {up: {$ref: 'tree.yaml#/Node'}}}\n"
    )
    # The document's own `Node` keeps its name: the file's is put beside it.
    document = one_operation({"Node": {"type": "integer"}}, {"$ref": "tree.yaml#/Node"})
    client = served(tmp_path, document)
    answer = client.get("/things/a", headers={"Prefer": "dynamic=true"})
    assert answer.status_code == 200, answer.text
    depth, node = 0, answer.json()
    while "parent" in node:
        assert len(node["name"]) == 2 and isinstance(node["children"], list)
        depth, node = depth + 1, node["parent"]
    assert 0 < depth <= 10  # recursion bounded
    judged_document = _bundled_for_judging(tmp_path, document)
    assert judged_document["components"]["schemas"]["Node"] == {"type": "integer"}
    spec = Spec(tmp_path / "openapi.json", judged_document)
    call = next(calls(spec))
    found = judged(OpenAPI.from_dict(judged_document), call, 200, answer.headers, answer.content)
    assert not found, found
    # Refs that only lead to refs and back, with no schema between: still refused.
    (tmp_path / "loop").mkdir()  # another document: the served one is parsed once
    (tmp_path / "loop" / "tree.yaml").write_text("Node: {$ref: 'leaf.yaml#/Leaf'}\n")
    (tmp_path / "loop" / "leaf.yaml").write_text(
        "Leaf: {$ref: '#/Again'}\nAgain: {$ref: 'tree.yaml#/Node'}\n"
    )
    message = _refusal(tmp_path, one_operation({}, {"$ref": "loop/tree.yaml#/Node"}))
    assert "circular across files" in message
    assert "/paths/~1things~1{id}/get/responses/200/content/application~1json/schema" in message


def _bundled_for_judging(tmp_path: Path, document: dict[str, Any]) -> dict[str, Any]:
    from apicontract.document import bundled

    judged_document: dict[str, Any] = bundled(copy.deepcopy(document), tmp_path)
    judged_document["servers"] = [{"url": HOST}]
    return judged_document


def test_not_json_and_not_openapi_are_refused_in_their_words(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"openapi": "3.0.3", "paths": {')
    with pytest.raises(SpecError, match="not valid JSON"):
        create_app(Settings(spec_path=path))
    assert "not an OpenAPI 3.0 or 3.1 document" in _refusal(tmp_path, {"swagger": "2.0"})


TREE = {
    "type": "object",
    "required": ["name", "children"],
    "properties": {
        "name": {"type": "string", "minLength": 3, "maxLength": 5},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
        "parent": {"$ref": "#/components/schemas/Tree"},
    },
}
PETS = {
    "Pet": {
        "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
        },
    },
    "Cat": {
        "type": "object",
        "required": ["kind", "lives"],
        "additionalProperties": False,
        "properties": {
            "kind": {"type": "string", "enum": ["cat"]},
            "lives": {"type": "integer", "minimum": 1, "maximum": 9},
        },
    },
    "Dog": {
        "type": "object",
        "required": ["kind", "bark"],
        "additionalProperties": False,
        "properties": {
            "kind": {"type": "string", "enum": ["dog"]},
            "bark": {"type": "string", "pattern": "^wo+f$"},
        },
    },
}


def test_recursive_schemas_and_discriminators_are_served_valid(tmp_path: Path) -> None:
    tree = served(tmp_path, one_operation({"Tree": TREE}, {"$ref": "#/components/schemas/Tree"}))
    answer = tree.get("/things/a")
    assert answer.status_code == 200, answer.text
    depth, node = 0, answer.json()
    while "parent" in node:
        depth, node = depth + 1, node["parent"]
    assert 0 < depth <= 10  # recursion bounded
    pets = served(tmp_path, one_operation(PETS, {"$ref": "#/components/schemas/Pet"}))
    kinds = set()
    for n in range(12):
        pet = pets.get(f"/things/{n}", headers={"Prefer": "dynamic=true"}).json()
        assert pet["kind"] in ("cat", "dog") and set(pet) == {
            "kind",
            "lives" if pet["kind"] == "cat" else "bark",
        }
        kinds.add(pet["kind"])
    assert kinds == {"cat", "dog"}


def test_required_recursion_without_end_is_a_clear_500_not_a_traceback(tmp_path: Path) -> None:
    endless = {
        "type": "object",
        "required": ["next"],
        "properties": {"next": {"$ref": "#/components/schemas/Endless"}},
    }
    client = served(
        tmp_path, one_operation({"Endless": endless}, {"$ref": "#/components/schemas/Endless"})
    )
    answer = client.get("/things/a")
    assert answer.status_code == 500
    assert "cannot make this answer's body" in answer.json()["detail"]


# --- a property over generated documents ---------------------------------------------


def _python_reads(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return "\\u{" not in pattern


_leaf = st.one_of(
    st.just({"type": "string"}),
    st.sampled_from(
        [
            {"type": "string", "format": f}
            for f in ("uuid", "date-time", "date", "email", "uri", "ipv4", "byte")
        ]
    ),
    st.builds(
        lambda lo, span: {"type": "integer", "minimum": lo, "maximum": lo + span},
        st.integers(-50, 50),
        st.integers(0, 20),
    ),
    st.builds(
        lambda lo, ex: {"type": "number", "minimum": lo, "exclusiveMinimum": ex},
        st.integers(-5, 5),
        st.booleans(),
    ),
    st.just({"type": "boolean"}),
    st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=3, unique=True).map(
        lambda values: {"type": "string", "enum": values}
    ),
    st.from_regex(r"\A[a-z]{1,3}\Z").map(
        lambda word: {"type": "string", "pattern": f"^{word}[0-9]+$"}
    ),
    st.builds(
        lambda lo, span: {"type": "string", "minLength": lo, "maxLength": lo + span},
        st.integers(0, 8),
        st.integers(0, 4),
    ),
    st.just({"$ref": "#/components/schemas/Node"}),
    # openapi-core, the judge here, reads patterns with Python's re: ECMA-only ones (`\p{L}`)
    # are judged in tests/test_generated_data.py by jsonschema-rs.
    st.sampled_from([p for p in REAL_PATTERNS if _python_reads(p)]).map(
        lambda p: {"type": "string", "pattern": p}
    ),
    st.builds(
        lambda p, lo: {"type": "string", "pattern": p, "minLength": lo, "maxLength": lo + 10},
        st.sampled_from([r"^[^\s@]+@[^\s@]+\.[^\s@]+$", r"^[\w.-]+$", r"^[^\W\d]+$", r"\d"]),
        st.integers(0, 10),
    ),
)


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    names = st.text("pqrs", min_size=1, max_size=3)
    return st.one_of(
        st.builds(
            lambda props, required, nullable: {
                "type": "object",
                "properties": props,
                **(
                    {"required": sorted(set(required) & set(props))}
                    if set(required) & set(props)
                    else {}
                ),
                **({"nullable": True} if nullable else {}),
            },
            st.dictionaries(names, children, max_size=4),
            st.lists(names, max_size=3),
            st.booleans(),
        ),
        st.builds(
            lambda items, lo: {"type": "array", "items": items, "minItems": lo},
            children,
            st.integers(0, 2),
        ),
        st.lists(children, min_size=1, max_size=3).map(lambda options: {"anyOf": options}),
        st.lists(children, min_size=1, max_size=2).map(
            lambda parts: {
                "allOf": [
                    {"type": "object", "properties": {f"z{i}": p}} for i, p in enumerate(parts)
                ]
            }
        ),
    )


SCHEMAS = st.recursive(_leaf, _extend, max_leaves=8)
NODE = {
    "type": "object",
    "properties": {"label": {"type": "string"}, "next": {"$ref": "#/components/schemas/Node"}},
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schema=SCHEMAS)
def test_whatever_is_served_answers_bodies_both_checkers_accept(
    tmp_path: Path, schema: Any
) -> None:
    document = one_operation({"Node": NODE}, schema)
    try:
        client = served(tmp_path, document)
    except SpecError as refused:  # refused clearly, naming the file: allowed
        assert str(tmp_path) in str(refused)
        event("refused")
        return
    event("served")
    answer = client.get("/things/a")
    assert answer.status_code == 200, (schema, answer.text)
    spec_path = tmp_path / "openapi.json"
    spec = Spec(spec_path)
    call = next(calls(spec))
    judged_document = copy.deepcopy(document)
    judged_document["servers"] = [{"url": HOST}]
    found = judged(OpenAPI.from_dict(judged_document), call, 200, answer.headers, answer.content)
    assert not found, (schema, answer.text, found)


def test_a_ref_back_into_its_own_object_is_refused_not_followed_forever(tmp_path: Path) -> None:
    document = one_operation(
        {}, {"type": "string"}, parameters=[{"$ref": "#/components/parameters/P"}]
    )
    document["components"]["parameters"] = {
        "P": {
            "name": "p",
            "in": "query",
            "schema": {"type": "string"},
            "x-again": {"$ref": "#/components/parameters/P"},
        }
    }
    message = _refusal(tmp_path, document)
    assert "circular $ref: #/components/parameters/P -> #/components/parameters/P" in message


# --- found serving DigitalOcean's public document (tests/specs/SOURCES.md) -------------


def test_a_yaml_timestamp_in_an_example_is_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyYAML reads `2020-07-01T00:00:00Z` as a datetime: every check of the example failed.
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))  # parsed here, not cached
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /invoices/{id}:\n    get:\n"
        "      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n"
        "      responses:\n        '200':\n          description: it\n          content:\n"
        "            application/json:\n"
        "              schema: {type: object, properties: {at: {type: string}}}\n"
        "              example: {at: 2020-07-01T00:00:00Z}\n"
    )
    client = create_app(Settings(spec_path=tmp_path / "openapi.yaml")).test_client()
    answer = client.get("/invoices/1")
    assert answer.status_code == 200 and answer.json() == {"at": "2020-07-01T00:00:00Z"}


def test_a_binary_upload_and_ignored_header_parameters(tmp_path: Path) -> None:
    accept = {"name": "Accept", "in": "header", "schema": {"type": "string", "enum": ["a/b"]}}
    document = one_operation({}, {"type": "object", "properties": {"ok": {"type": "boolean"}}})
    operation = document["paths"]["/things/{id}"].pop("get")
    operation["parameters"].append(accept)
    operation["requestBody"] = {
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    }
    document["paths"]["/things/{id}"]["put"] = operation
    client = served(tmp_path, document)
    # OpenAPI: an `Accept` header parameter SHALL be ignored (the client's `*/*` was a 422).
    answer = client.put(
        "/things/a",
        content=b"\x00\xff binary",
        headers={"Content-Type": "application/octet-stream", "Accept": "*/*"},
    )
    assert answer.status_code == 200, answer.text  # was a 500: bytes in the seed's JSON
