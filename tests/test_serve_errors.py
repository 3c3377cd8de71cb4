"""Every failure a client can meet gets OpenAI's error shape and the right status, never a
traceback: 400, 401, 404, 405, 413, 429 (per request and global budget), 500 and 502."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

import serve_server

SC5 = '{"block": "self_consistency", "params": {"n": 5}}'
HELLO = [{"role": "user", "content": "Report the number 3."}]


def post(server, body, headers=None, raw: bytes | None = None):
    return httpx.post(f"{server.base_url}/chat/completions", headers=headers, timeout=60,
                      content=raw if raw is not None else json.dumps(body).encode())


def error_of(resp, status: int) -> dict:
    assert resp.status_code == status, resp.text
    assert "Traceback" not in resp.text
    err = resp.json()["error"]
    assert set(err) >= {"message", "type", "code"} and err["message"]
    return err


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = serve_server.start(tmp_path_factory.mktemp("errors"), ["direct", f"vote5={SC5}"],
                           "--max-calls-per-request", "3", "--max-request-bytes", "4000")
    yield s
    assert s.stop() == 0
    assert "Traceback" in s.output()  # the 500's traceback went to the server log, not the client


@pytest.mark.parametrize("body,code,param", [
    ({"messages": HELLO}, "invalid_request", "model"),
    ({"model": "direct"}, "invalid_request", "messages"),
    ({"model": "direct", "messages": []}, "invalid_request", "messages"),
    ({"model": "direct", "messages": [{"role": "wizard", "content": "x"}]}, "invalid_request", "messages.0.role"),
    ({"model": "direct", "messages": HELLO, "temperature": 7}, "invalid_request", "temperature"),
    ({"model": "direct", "messages": HELLO, "n": 2}, "unsupported_parameter", "n"),
    ({"model": "direct", "messages": HELLO, "tools": [{"type": "function"}]}, "unsupported_parameter", "tools"),
    ({"model": "direct", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
     "unsupported_content", "messages[0].content"),
    ({"model": "direct", "messages": [*HELLO, {"role": "assistant", "content": "A"}]}, "invalid_messages", "messages"),
])
def test_bad_requests_get_400(server, body, code, param):
    err = error_of(post(server, body), 400)
    assert err["code"] == code and err["param"] == param and err["type"] == "invalid_request_error"


def test_bad_json_gets_400(server):
    assert error_of(post(server, None, raw=b'{"model": '), 400)["code"] == "invalid_json"
    assert error_of(post(server, None, raw=b'[1, 2]'), 400)["code"] == "invalid_json"


def test_unknown_model_and_route_get_404(server):
    err = error_of(post(server, {"model": "gpt-9", "messages": HELLO}), 404)
    assert err["code"] == "model_not_found" and "direct" in err["message"]
    assert error_of(httpx.get(f"{server.base_url}/models/gpt-9"), 404)["code"] == "model_not_found"
    assert error_of(httpx.get(f"{server.url}/v2/anything"), 404)["code"] == "not_found"
    assert error_of(httpx.get(f"{server.base_url}/chat/completions"), 405)["code"] == "method_not_allowed"
    with pytest.raises(openai.NotFoundError):
        openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0).chat.completions.create(
            model="gpt-9", messages=HELLO)


def test_a_body_over_the_limit_gets_413(server):
    big = {"model": "direct", "messages": [{"role": "user", "content": "x" * 5000}]}
    assert error_of(post(server, big), 413)["code"] == "request_too_large"
    # without a Content-Length header (chunked), counted while reading
    chunks = iter([json.dumps(big).encode()[i:i + 1000] for i in range(0, 5100, 1000)])
    resp = httpx.post(f"{server.base_url}/chat/completions", content=chunks, timeout=30)
    assert error_of(resp, 413)["code"] == "request_too_large"


def test_a_design_needing_more_calls_than_allowed_gets_429(server):
    before = server.backend_calls()
    err = error_of(post(server, {"model": "vote5", "messages": HELLO}), 429)
    assert err["code"] == "request_call_limit" and "3" in err["message"]
    assert server.backend_calls() - before <= 3  # the fourth call was never sent
    assert post(server, {"model": "direct", "messages": HELLO}).status_code == 200  # other requests go on


def test_an_error_inside_the_backend_gets_500_without_its_traceback(server):
    err = error_of(post(server, {"model": "direct", "messages": [{"role": "user", "content": "explode"}]}), 500)
    assert err["code"] == "internal_error" and err["type"] == "server_error"
    streamed = httpx.post(f"{server.base_url}/chat/completions", timeout=30, json={
        "model": "direct", "stream": True, "messages": [{"role": "user", "content": "explode now"}]})
    events = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
    assert events[-1]["error"]["code"] == "internal_error" and "Traceback" not in streamed.text
    with pytest.raises(openai.APIError):
        list(openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0).chat.completions.create(
            model="direct", messages=[{"role": "user", "content": "explode again"}], stream=True))


def test_api_key_is_required_when_set(tmp_path):
    s = serve_server.start(tmp_path, ["direct"], env={"AGENTARCH_API_KEY": "k-one,k-two"})
    try:
        assert error_of(post(s, {"model": "direct", "messages": HELLO}), 401)["code"] == "invalid_api_key"
        assert error_of(post(s, {"model": "direct", "messages": HELLO}, {"Authorization": "Bearer k-on"}), 401)
        assert error_of(httpx.get(f"{s.base_url}/models", headers={"Authorization": "Bearer nope"}), 401)
        assert httpx.get(f"{s.url}/health").json() == {"status": "ok"}  # for load balancers: no key, no details
        assert httpx.get(f"{s.url}/health", headers={"Authorization": "Bearer k-two"}).json()["models"] == ["direct"]
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=s.base_url, api_key="wrong", max_retries=0).models.list()
        for key in ("k-one", "k-two"):
            out = openai.OpenAI(base_url=s.base_url, api_key=key, max_retries=0).chat.completions.create(
                model="direct", messages=HELLO)
            assert out.choices[0].message.content == "Answer: 3"
    finally:
        assert s.stop() == 0


def test_the_global_budget_is_never_crossed_and_then_gets_429(tmp_path):
    s = serve_server.start(tmp_path, ["direct"], "--budget-calls", "2")
    try:
        for n in (1, 2):
            assert post(s, {"model": "direct", "messages": [{"role": "user", "content": f"number {n}"}]}).status_code == 200
        err = error_of(post(s, {"model": "direct", "messages": [{"role": "user", "content": "number 3"}]}), 429)
        assert err["code"] == "budget_exhausted" and err["type"] == "rate_limit_error"
        streamed = post(s, {"model": "direct", "stream": True, "messages": [{"role": "user", "content": "number 4"}]})
        assert error_of(streamed, 429)["code"] == "budget_exhausted"
        assert s.backend_calls() == 2
        budget = httpx.get(f"{s.url}/health").json()["budget"]
        assert (budget["calls_used"], budget["calls_limit"]) == (2, 2) and budget["tokens_used"] > 0
    finally:
        assert s.stop() == 0


def test_a_failing_upstream_model_gets_502(tmp_path):
    port = serve_server.free_port()  # nothing listens there
    s = serve_server.start(tmp_path, ["direct"], "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m")
    try:
        err = error_of(post(s, {"model": "direct", "messages": HELLO}), 502)
        assert err["code"] == "model_error"
    finally:
        assert s.stop() == 0
