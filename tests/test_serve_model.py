"""One short request to ``direct`` served on the real embedded model, then a clean SIGTERM."""

from __future__ import annotations

import openai
import pytest

import serve_server

pytestmark = pytest.mark.model


def test_direct_on_the_embedded_model_answers_over_http(tmp_path):
    server = serve_server.start(tmp_path, ["direct"], embedded=True, wait=300)
    try:
        out = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0, timeout=300).chat.completions.create(
            model="direct", messages=[{"role": "user", "content": "What is 2 + 3? Reply with the number."}])
        assert "5" in out.choices[0].message.content
        assert out.usage.prompt_tokens > 10 and out.usage.completion_tokens > 0
        assert out.model_extra["agentarch"]["model_calls"] == 1
    finally:
        assert server.stop(timeout=120) == 0
