"""A scripted model from a JSON rules file: what tests of the real command line select with
``--model scripted:<rules.json>`` (hidden, not in --help) and ``Model.scripted("rules.json")``."""

from __future__ import annotations

import json
import re
from pathlib import Path


def rules_file_model(path: str, source: str | None = None):
    """``{"rules": [[regex, answer-with-\\1-backrefs], ...], "delay": s, "log": file}``: the first
    rule whose regex matches the joined messages answers (``re.S | re.I``); every request reaching
    the model is appended to ``log`` as a JSON line with its cache key. ``"repeat_rules"`` are
    tried first for re-measured requests (``repeat`` > 0), to script a backend whose replies vary."""
    from agentarch.errors import ConfigError
    from agentarch.llm.scripted import ScriptedModel

    try:
        cfg = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{source or path}: {exc}") from None
    rules = [(re.compile(p, re.S | re.I), a) for p, a in cfg.get("rules", [])]
    repeat_rules = [(re.compile(p, re.S | re.I), a) for p, a in cfg.get("repeat_rules", [])]
    log = cfg.get("log")

    def respond(req) -> str:
        text = "\n".join(m.get("content") or "" for m in req.messages)
        if log:
            with open(log, "a") as f:
                f.write(json.dumps({"key": req.key("scripted", "scripted"), "text": text,
                                    "repeat": req.repeat}) + "\n")
        for pat, ans in (repeat_rules + rules if req.repeat > 0 else rules):
            m = pat.search(text)
            if m:
                return m.expand(ans)
        return ""

    return ScriptedModel(respond, delay=float(cfg.get("delay", 0.0)))
