"""DSPy uses a served design as its language model: ``dspy.LM("openai/<design>", api_base=...)``
running ``dspy.Predict`` against a real ``agentarch serve`` process on the scripted backend."""

from __future__ import annotations

import os

import pytest

import serve_server

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of litellm's price list
import dspy  # noqa: E402  (pinned in the test extra)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = serve_server.start(tmp_path_factory.mktemp("dspy"), ["direct", "cot"],
                           env={"AGENTARCH_API_KEY": "dspy-key"})
    yield s
    assert s.stop() == 0


@pytest.mark.parametrize("design", ["direct", "cot"])
def test_dspy_predict_through_a_served_design(server, design):
    lm = dspy.LM(f"openai/{design}", api_base=server.base_url, api_key="dspy-key", cache=False,
                 num_retries=0)
    before = server.backend_calls()
    with dspy.context(lm=lm):
        pred = dspy.Predict("question -> answer")(question="What is the capital of France?")
    assert pred.answer == "Paris"
    assert server.backend_calls() == before + 1
    sent = server.calls_log.read_text().splitlines()[-1]
    assert "[[ ## answer ## ]]" in sent  # DSPy's format instructions reached the design's model call
    usage = lm.history[-1]["usage"]
    assert usage["completion_tokens"] > 0 and usage["prompt_tokens"] > 0
