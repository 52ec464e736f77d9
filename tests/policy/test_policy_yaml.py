"""The strict YAML layer on both parsers: libyaml (development) and pure Python (the plugin
bundle ships PyYAML without libyaml). Same results, and no crash on hostile nesting."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_testing import NEWEST, OLDER, fixture, load

from escalations.policy import _yaml, load_policy_file, load_policy_text

LOADERS = [_yaml.PureLoader] + ([_yaml.FastLoader] if hasattr(_yaml, "FastLoader") else [])


@pytest.fixture(params=LOADERS, ids=lambda c: c.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    cls: type = request.param
    monkeypatch.setattr(_yaml, "DEFAULT_LOADER", cls)
    return cls


@pytest.mark.parametrize("path", [NEWEST, OLDER], ids=["newest", "older"])
def test_bundled_policies_load_the_same(loader: type, path: Path) -> None:
    result = load_policy_file(path)
    assert result.ok
    assert result.policy == load(path)


def test_duplicate_keys(loader: type) -> None:
    document, duplicates = _yaml.parse("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    assert document == {"a": 3, "b": {"c": 2}}
    assert duplicates == [(4, "c"), (5, "a")]


def test_aliases(loader: type) -> None:
    with pytest.raises(_yaml.YamlProblem, match=r"anchors and aliases are not allowed"):
        _yaml.parse("a: &x [1]\nb: *x\n")


def test_unhashable_key_is_a_yaml_error(loader: type) -> None:
    result = load_policy_text("? [a, b]\n: 1\n")
    assert [e.code for e in result.errors] == ["yaml"]


def test_deep_block_nesting_is_an_error_not_a_crash(loader: type) -> None:
    depth = 600
    text = "\n".join(" " * i + "k:" for i in range(depth)) + "\n" + " " * depth + "v\n"
    result = load_policy_text(text)
    assert not result.ok
    assert result.errors[0].code in {"yaml", "unknown-key"}


def test_minimal_fixture(loader: type) -> None:
    assert load_policy_file(fixture("valid-minimal.yaml")).ok


def test_libyaml_is_used_when_available() -> None:
    if hasattr(_yaml, "FastLoader"):
        assert _yaml.DEFAULT_LOADER is _yaml.FastLoader
