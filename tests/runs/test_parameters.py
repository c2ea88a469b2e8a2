"""Parameters are read from the notebook and checked before any kernel starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalelab.errors import InvalidInput
from scalelab.runs.parameters import check_values, inspect_parameters, parse_assignments
from tests.runs.conftest import write_notebook

PARAMS = """\
alpha = 0.5  # learning rate
epochs = 3  # passes over the data
name = "run"  # label
verbose = False  # chatty?
layers = [8, 4]  # sizes
"""


@pytest.fixture
def declared(tmp_path: Path):
    return inspect_parameters(write_notebook(tmp_path / "nb.ipynb", PARAMS, "print(alpha)"))


def test_declared_parameters_have_types_and_help(declared) -> None:
    assert {n: p.type for n, p in declared.items()} == {
        "alpha": "float",
        "epochs": "int",
        "name": "str",
        "verbose": "bool",
        "layers": "list",
    }
    assert declared["alpha"].help == "learning rate"


def test_text_values_are_read_as_the_declared_type(declared) -> None:
    given = parse_assignments(["alpha=0.1", "epochs=10", "verbose=yes", "layers=[1,2]", "name=a=b"])
    assert check_values(declared, given, from_text=True) == {
        "alpha": 0.1,
        "epochs": 10,
        "verbose": True,
        "layers": [1, 2],
        "name": "a=b",
    }


def test_json_values_keep_their_type_and_ints_pass_for_floats(declared) -> None:
    assert check_values(declared, {"alpha": 1, "epochs": 2}) == {"alpha": 1, "epochs": 2}


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"nope": 1}, "unknown parameter 'nope' (this notebook takes: alpha, epochs"),
        ({"epochs": "three"}, "'epochs' expects int, got str"),
        ({"epochs": True}, "'epochs' expects int, got bool"),
        ({"verbose": 1}, "'verbose' expects bool"),
        ({"name": "x" * (65 * 1024)}, "more than 65536 allowed"),
        ({"1bad": 1}, "not a valid parameter name"),
        ({"class": 1}, "not a valid parameter name"),
    ],
)
def test_bad_values_are_refused_with_the_reason(declared, given, fragment) -> None:
    with pytest.raises(InvalidInput) as info:
        check_values(declared, given)
    assert fragment in info.value.message


def test_every_problem_is_reported_at_once(declared) -> None:
    with pytest.raises(InvalidInput) as info:
        check_values(declared, {"epochs": "x", "nope": 1})
    assert "epochs" in info.value.message and "nope" in info.value.message


def test_text_that_is_not_the_type_is_refused(declared) -> None:
    with pytest.raises(InvalidInput, match="expects int"):
        check_values(declared, {"epochs": "ten"}, from_text=True)
    with pytest.raises(InvalidInput, match="expected name=value"):
        parse_assignments(["epochs"])


def test_total_size_is_bounded(declared) -> None:
    with pytest.raises(InvalidInput, match="in all"):
        check_values(declared, {"name": "x" * 1000, "layers": [1] * 10}, max_total_bytes=500)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "broken.ipynb is not a notebook: not valid JSON"),
        (b"\xff\xfe", "broken.ipynb is not a notebook: it is not UTF-8 text"),
        (b"[]", "broken.ipynb is not a notebook: its JSON is not an object"),
        (b'{"cells": 5}', "broken.ipynb is not a valid notebook"),
        (b"[" * 5000 + b"]" * 5000, "broken.ipynb is not a notebook: not valid JSON"),
    ],
)
def test_a_file_that_is_no_notebook_is_refused_by_name(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    (tmp_path / "broken.ipynb").write_bytes(content)
    with pytest.raises(InvalidInput, match=fragment):
        inspect_parameters(tmp_path / "broken.ipynb")


def test_a_value_nested_too_deep_for_json_is_refused(declared) -> None:
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InvalidInput, match="nested too deep"):
        check_values(declared, {"layers": deep})
