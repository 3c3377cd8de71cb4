"""The command line's hidden test backend: ``--model scripted:<rules.json>`` (``llm/scripted_rules.py``)."""

from __future__ import annotations


def scripted_model(path: str):
    """The scripted model answering by the rules in ``path``."""
    from agentarch.llm.scripted_rules import rules_file_model

    return rules_file_model(path, source=f"--model scripted:{path}")
