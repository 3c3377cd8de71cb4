"""The README's Python code runs as written: every ```python block, in order, in one namespace,
with the scripted model selected (``aa.configure(model=aa.Model.scripted(...))``) and a fresh folder as
the working directory, so the examples stay true without loading the embedded model."""

from __future__ import annotations

import re
from pathlib import Path

import agentarch as aa

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


SERVED = "## Serve"  # its Python talks to a running server: tests/test_serve_readme.py runs it


def python_blocks() -> list[str]:
    """Every ```python block outside the Serve section."""
    sections = re.split(r"^(?=## )", README.read_text(), flags=re.M)
    return [b for sec in sections if not sec.startswith(SERVED + "\n") for b in BLOCK.findall(sec)]


def test_readme_has_the_python_api_section():
    text = README.read_text()
    assert "## Python API" in text
    blocks = python_blocks()
    assert len(blocks) >= 5
    for name in ("aa.evaluate(", "aa.search(", "aa.load_run(", "aa.Model.", "aa.aevaluate(", "aa.register("):
        assert any(name in b for b in blocks), name


def test_readme_python_blocks_run_on_the_scripted_model(tmp_path, monkeypatch, capsys):
    from agentarch.api.settings import settings
    from agentarch.blocks import registry
    from agentarch.llm import client

    registry.all_blocks()  # load the library first: blocks imported later would register only in the copy
    monkeypatch.setattr(registry, "BLOCKS", dict(registry.BLOCKS))  # the README's own block leaves with the test
    monkeypatch.chdir(tmp_path)
    before = (settings.model, settings.db)
    model = aa.Model.scripted([(r"Read the question again", "Answer: 12"), (r"\d", "Step 1 ... Answer: 12"),
                               (r".", "Answer: 0")])
    aa.configure(model=model)
    loaded = dict(client._LOCAL)
    namespace: dict = {"__name__": "readme"}
    try:
        for i, code in enumerate(python_blocks()):
            exec(compile(code, f"README.md python block {i + 1}", "exec"), namespace)
    finally:
        settings.model, settings.db = before
    out = capsys.readouterr().out
    assert client._LOCAL == loaded, "a README block loaded the embedded model"
    assert len(model.calls) > 20, "the examples ran on the scripted model"
    assert (tmp_path / "api.db").exists()
    assert "self_consistency(n=3)[cot]" in out
    assert "stopped by" in out and "done" in out
    run = aa.load_run(namespace["run"].run_id, db=tmp_path / "api.db")
    assert run.kind == "search" and run.best == namespace["run"].best
    assert any("READ THE QUESTION" in c.messages[-1]["content"].upper() for c in model.calls)
