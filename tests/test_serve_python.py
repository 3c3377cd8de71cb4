"""``agentarch.serve.serve`` from Python (what ``aa.serve`` re-exports): a ready model stack, a
mapping of names to designs and option fields as keywords, in a real process stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

import serve_server

SCRIPT = """
import sys
from agentarch.llm.client import stack
from agentarch.llm.scripted import ScriptedModel
from agentarch.serve import serve

serve({"calc": "direct", "vote": {"block": "self_consistency", "params": {"n": 3}}},
      stack=stack(ScriptedModel("Answer: 9")), db=None, port=int(sys.argv[1]), access_log=False,
      max_calls_per_request=2)
print("returned")
"""


def test_serve_from_python_runs_until_sigterm(tmp_path):
    port = serve_server.free_port()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        ask = lambda model: httpx.post(f"{url}/v1/chat/completions", timeout=30, json={  # noqa: E731
            "model": model, "messages": [{"role": "user", "content": "3 * 3?"}]})
        out = ask("calc").json()
        assert out["choices"][0]["message"]["content"] == "Answer: 9" and out["model"] == "calc"
        assert ask("vote").json()["error"]["code"] == "request_call_limit"  # 3 calls > max 2
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "returned" in output, output
