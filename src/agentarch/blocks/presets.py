"""The hand-designed baseline designs a search starts from (the seed archive of ADAS, Hu et al.,
2025, plus a direct answer and program-of-thought). Plain data: edit freely."""

from agentarch.blocks.spec import DesignSpec

BASELINES: dict[str, dict] = {
    "direct": {"block": "direct"},
    "cot": {"block": "cot"},
    "cot_sc": {"block": "self_consistency", "params": {"n": 5}, "children": [{"block": "cot"}]},
    "refine": {"block": "refine", "params": {"rounds": 2}, "children": [{"block": "cot"}]},
    "debate": {"block": "debate", "params": {"agents": 3, "rounds": 2}},
    "step_back": {"block": "step_back"},
    "quality_diversity": {"block": "quality_diversity", "params": {"attempts": 3}},
    "roles": {"block": "roles"},
    "program_of_thought": {"block": "program_of_thought"},
}


def baselines(names: list[str] | None = None) -> dict[str, DesignSpec]:
    chosen = names or list(BASELINES)
    return {n: DesignSpec.model_validate(BASELINES[n]) for n in chosen}


def parse_baselines(text: str | None) -> dict[str, DesignSpec]:
    """Baselines named on the command line: "all", "" (none) or a comma list of preset names."""
    from agentarch.errors import ConfigError

    if not text:
        return {}
    names = list(BASELINES) if text == "all" else [b.strip() for b in text.split(",") if b.strip()]
    for n in names:
        if n not in BASELINES:
            raise ConfigError(f"unknown baseline '{n}'; baselines: {', '.join(BASELINES)}")
    return baselines(names)
