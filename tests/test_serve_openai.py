"""The openai SDK, sync and async, streaming and not, against a real ``agentarch serve`` process
on the scripted backend; ``usage`` adds up every model call of the design."""

from __future__ import annotations

import asyncio

import openai
import pytest

import serve_server

SC3 = '{"block": "self_consistency", "params": {"n": 3}}'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = serve_server.start(tmp_path_factory.mktemp("serve"), ["direct", "cot", f"vote3={SC3}"])
    yield s
    assert s.stop() == 0


def client(server):
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)


def test_models_lists_every_design_by_name(server):
    ids = [m.id for m in client(server).models.list().data]
    assert ids == ["direct", "cot", "vote3"]
    assert client(server).models.retrieve("vote3").model_extra["design"] == {"block": "self_consistency",
                                                                             "params": {"n": 3}}


def test_sync_completion_answers_with_the_design(server):
    out = client(server).chat.completions.create(
        model="direct", messages=[{"role": "user", "content": "Report the number 41."}])
    assert out.choices[0].message.content == "Answer: 41"
    assert out.choices[0].finish_reason == "stop"
    assert out.model == "direct"
    assert out.usage.completion_tokens == 2 and out.usage.prompt_tokens > 0
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens
    assert out.model_extra["agentarch"]["model_calls"] == 1


def test_usage_counts_every_call_of_a_multi_call_design(server):
    before = server.backend_calls()
    out = client(server).chat.completions.create(
        model="vote3", messages=[{"role": "user", "content": "Report the number 7."}])
    assert "7" in out.choices[0].message.content
    assert out.model_extra["agentarch"]["model_calls"] == 3
    assert server.backend_calls() - before == 3  # three samples, none from the cache
    assert out.usage.completion_tokens == 3 * 2  # "Answer: 7" is two words per call
    single = client(server).chat.completions.create(
        model="cot", messages=[{"role": "user", "content": "Report the number 7."}])
    assert single.model_extra["agentarch"]["model_calls"] == 1
    assert out.usage.prompt_tokens > single.usage.prompt_tokens


def test_sync_streaming_delivers_the_answer_in_chunks_and_the_usage(server):
    stream = client(server).chat.completions.create(
        model="vote3", messages=[{"role": "user", "content": "Report the number 1234."}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Answer: 1234"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) >= 2
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 6


def test_async_client_streaming_and_not(server):
    async def go():
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as c:
            plain = await c.chat.completions.create(
                model="cot", messages=[{"role": "system", "content": "Be brief."},
                                       {"role": "user", "content": "Report the number 5."}])
            stream = await c.chat.completions.create(
                model="direct", messages=[{"role": "user", "content": "Report the number 6."}], stream=True)
            streamed = "".join([ch.choices[0].delta.content or "" async for ch in stream if ch.choices])
            return plain.choices[0].message.content, streamed

    assert asyncio.run(go()) == ("Answer: 5", "Answer: 6")


def test_stop_sequences_cut_the_answer(server):
    out = client(server).chat.completions.create(
        model="direct", messages=[{"role": "user", "content": "Report the number 98."}], stop=[": 9"])
    assert out.choices[0].message.content == "Answer"


def test_a_repeated_request_is_answered_from_the_cache(server):
    msgs = [{"role": "user", "content": "Report the number 555."}]
    client(server).chat.completions.create(model="direct", messages=msgs)
    before = server.backend_calls()
    again = client(server).chat.completions.create(model="direct", messages=msgs)
    assert server.backend_calls() == before
    assert again.model_extra["agentarch"]["cached_calls"] == 1
    assert again.choices[0].message.content == "Answer: 555"


def test_a_conversation_reaches_the_design_with_its_system_prompt_and_turns(server):
    out = client(server).chat.completions.create(model="direct", messages=[
        {"role": "system", "content": "You report numbers."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": [{"type": "text", "text": "Report the number "}, {"type": "text", "text": "77."}]},
    ])
    assert out.choices[0].message.content == "Answer: 77"
    import json

    sent = json.loads(server.calls_log.read_text().splitlines()[-1])["text"]
    assert "You report numbers." in sent and "User: Hello" in sent and "Assistant: Hi." in sent
    assert sent.index("You report numbers.") < sent.index("User: Hello") < sent.index("User: Report the number 77.")


def test_no_cache_sends_every_request_to_the_model(tmp_path):
    s = serve_server.start(tmp_path, ["direct"], "--no-cache")
    try:
        msgs = [{"role": "user", "content": "Report the number 12."}]
        for _ in range(2):
            out = client(s).chat.completions.create(model="direct", messages=msgs)
            assert out.model_extra["agentarch"]["cached_calls"] == 0
        assert s.backend_calls() == 2
    finally:
        assert s.stop() == 0
