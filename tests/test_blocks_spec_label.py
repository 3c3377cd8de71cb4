"""Design labels: short lists of words show, long lists and mappings (demos) do not."""

from agentarch.blocks.spec import DesignSpec


def test_short_word_list_shows_in_label():
    spec = DesignSpec(block="reconcile", params={"personas": ["Mathematician", "Careful Analyst"]})
    assert spec.label() == "reconcile(personas=Mathematician/Careful Analyst)"


def test_default_params_and_long_lists_stay_out_of_label():
    assert DesignSpec(block="reconcile").label() == "reconcile"
    long = DesignSpec(block="reconcile", params={"personas": ["A very long persona name"] * 3})
    assert long.label() == "reconcile"
    demos = DesignSpec(block="fewshot", params={"demos": [["q", "a"]]}, children=(DesignSpec(block="cot"),))
    assert demos.label() == "fewshot[cot]"
