"""yamlsource: YAML 1.2 scalars, line numbers for every value, and what it refuses."""

from __future__ import annotations

import pytest

from cloudtimeouts.yamlsource import YamlSourceError, load


def test_yaml_1_2_scalars_keep_words_as_strings() -> None:
    loaded = load("a: off\nb: no\nc: on\nd: 1:30\ne: 30\nf: 1.5\ng: true\nh: null\n")
    assert loaded.data == {
        "a": "off",
        "b": "no",
        "c": "on",
        "d": "1:30",
        "e": 30,
        "f": 1.5,
        "g": True,
        "h": None,
    }


def test_every_value_remembers_its_line() -> None:
    loaded = load("name: orders\nserver:\n  wait_timeout: 10min\ntargets:\n  - provider: aws\n")
    assert loaded.line_of(("server", "wait_timeout")) == 3
    assert loaded.line_of(("targets", 0, "provider")) == 5


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\na: 2\n", 2, "duplicate key"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", 3, "merge"),
        ("a: !!python/object:os.system x\n", 1, "not allowed"),
        ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
    ],
)
def test_refusals_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(YamlSourceError) as refused:
        load(text)
    assert refused.value.line == line
    assert words in str(refused.value)
