"""The cache key is assembled from parts (the messages are encoded once for the key and the stored
request): it must stay byte-for-byte the key every earlier version computed, or every user's
cache would miss. Checked against that definition, written out here, on varied requests."""

from __future__ import annotations

import hashlib
import json

import pytest

from agentarch.llm.types import Request


def key_as_defined(r: Request, backend: str, model: str) -> str:
    parts = [backend, model, r.messages, round(r.temperature, 4), r.max_tokens, list(r.stop),
             r.sample if r.temperature > 0 else 0]
    if r.repeat > 0:
        parts.append({"repeat": r.repeat})
    return hashlib.sha256(json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


REQUESTS = [
    Request(messages=[{"role": "user", "content": "What is 2 + 2?"}]),
    Request(messages=[{"role": "user", "content": "x"}], temperature=0),  # an int temperature
    Request(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Ünïcode ✓ \"q\"\n\t"}],
            temperature=0.7, sample=3, stop=("\n\n", "Q:")),
    Request(messages=[{"role": "user", "content": "again"}], temperature=0.123456, sample=1, repeat=2),
    Request(messages=[{"role": "user", "content": "same"}], repeat=1, max_tokens=7),
    Request(messages=[{"role": "assistant", "content": None}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}]),
]


@pytest.mark.parametrize("request_", REQUESTS)
def test_key_and_stored_request_match_their_definition(request_):
    key, record = request_.cache_entry("openai", "a/model")
    assert key == request_.key("openai", "a/model") == key_as_defined(request_, "openai", "a/model")
    assert json.loads(record) == {"messages": request_.messages, "temperature": request_.temperature,
                                  "max_tokens": request_.max_tokens, "stop": list(request_.stop),
                                  "sample": request_.sample, "repeat": request_.repeat}


def test_keys_differ_when_anything_that_changes_the_answer_differs():
    keys = {r.key("openai", "m") for r in REQUESTS} | {REQUESTS[0].key("openai", "other")}
    assert len(keys) == len(REQUESTS) + 1


def test_unusual_numbers_are_encoded_as_json_would():
    for r in (Request(messages=[{"role": "user", "content": "n"}], temperature=True, max_tokens=True),
              Request(messages=[{"role": "user", "content": "n"}], temperature=float("inf"), sample=2),
              Request(messages=[{"role": "user", "content": "n"}], temperature=1e-7, max_tokens=10**20)):
        key, record = r.cache_entry("b", "m")
        assert key == key_as_defined(r, "b", "m")
        assert json.loads(record)["temperature"] == r.temperature


def _odd_messages():
    """Messages the fast encoder must hand to the exact one, or encode exactly like it."""
    from collections import OrderedDict

    reordered = OrderedDict([("role", "user"), ("content", "x")])
    reordered.move_to_end("role")  # iterates content, role; its dict storage says role, content
    every_char = "".join(chr(i) for i in range(0, 0x3000) if not 0xD800 <= i <= 0xDFFF) + "\U0001F600\u2028\u2029"
    return [
        [{"role": "user", "content": every_char}],
        [{"role": "user", "content": "a", "weight": 1e-07}, {"role": "user", "content": "b", "scale": 1e16}],
        [{"role": "user", "content": "b", "n": 10**20}],
        [reordered],
        [{1: "int key", "role": "user", "content": "c"}],
        [{"role": "user", "content": True}],
        ({"role": "user", "content": "a tuple of messages"},),
        [{"role": "user", "name": None, "content": "\x00\x1f\x7f\"\\/"}],
    ]


@pytest.mark.parametrize("messages", _odd_messages())
def test_unusual_messages_keep_the_defined_key(messages):
    r = Request(messages=messages, temperature=0.5, sample=2)
    key, record = r.cache_entry("openai", "m")
    assert key == key_as_defined(r, "openai", "m")
    assert record.startswith('{"messages":' + json.dumps(messages, separators=(",", ":"), ensure_ascii=False) + ",")


def test_settings_equal_in_python_but_written_differently_keep_their_own_keys():
    """The text after the messages is remembered per setting: 1, 1.0 and True compare equal but
    are written "1", "1.0" and "true"; a list of stop strings cannot be remembered at all."""
    msgs = [{"role": "user", "content": "same"}]
    requests = [Request(msgs, temperature=t, max_tokens=m, sample=s)
                for t, m, s in ((1, 5, 1), (1.0, 5, 1), (True, 5, True), (1.0, 5.0, 1))]
    requests.append(Request(msgs, stop=["\n", "Q:"]))
    for r in requests + requests[::-1]:
        key, record = r.cache_entry("openai", "m")
        assert key == key_as_defined(r, "openai", "m")
        assert record == json.dumps({"messages": msgs, "temperature": r.temperature, "max_tokens": r.max_tokens,
                                     "stop": list(r.stop), "sample": r.sample, "repeat": r.repeat},
                                    separators=(",", ":"), ensure_ascii=False)
    assert len({r.key("openai", "m") for r in requests}) == len(requests)


def test_a_named_model_takes_the_stack_models_place_in_the_key():
    other = Request([{"role": "user", "content": "q"}], temperature=0.3, sample=2, repeat=1, model="other")
    own = Request([{"role": "user", "content": "q"}], model="m")
    assert other.cache_entry("openai", "m")[0] == key_as_defined(other, "openai", "m>other")
    assert own.key("openai", "m") == key_as_defined(own, "openai", "m")
