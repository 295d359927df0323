"""The README's scripting example runs as printed and shows the prior at work."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> str:
    match = re.search(r"## Scripting\n\n```python\n(.*?)```", README.read_text(), re.S)
    assert match, "the README lost its scripting example"
    return match.group(1)


def test_example_is_short():
    assert len(readme_example().strip().splitlines()) <= 15


def test_example_runs_and_recovers_the_group(capsys):
    namespace: dict = {}
    exec(compile(readme_example(), "README.md", "exec"), namespace)  # noqa: S102
    outcome = namespace["outcome"]
    group = outcome.metrics["effective_group"]
    assert sorted(group["accepted"]) == ["rot+1", "rot-1"]
    assert group["order"] == group["true_order"] == 32
    prior = outcome.metrics["equivariance_error_mean"]["L1"]
    baseline = outcome.metrics["baseline"]["equivariance_error_mean"]["L1"]
    assert prior < 0.5 * baseline
    assert "rot+1" in capsys.readouterr().out
