"""The embedded model: llama.cpp's server running in-process through the prebuilt ``xllamacpp``
wheel, with parallel slots and continuous batching so several examples decode together.

Requests go straight to the in-process handler from a thread pool as wide as the slot count;
the same server also listens on 127.0.0.1, which tests use as a real OpenAI-compatible server.
Each request is streamed token by token so a cancelled call (Ctrl-C, a failed run) stops its slot
at the next token instead of decoding to the end: the handler cancels the task when the token
callback says stop. A prompt longer than a slot's context is ``PromptTooLong``, one example's error.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentarch.errors import ConfigError, ModelError, PromptTooLong, require
from agentarch.llm.types import Completion, Request, completion_from_openai

# 4096 tokens per slot: room for debate and refine histories and long few-shot prompts. Measured
# (bench/context_rss.py, 4 slots, 0.5B): RSS 738 MB at 2048 per slot, 835 MB at 4096, 1024 MB at 8192.
SETTINGS = {"n_ctx_per_slot": 4096, "threads": 2}


class LocalModel:
    backend = "local"

    def __init__(self, path: str | Path, name: str | None = None, parallel: int = 4,
                 n_ctx_per_slot: int = SETTINGS["n_ctx_per_slot"], threads: int = SETTINGS["threads"]):
        if parallel < 1 or n_ctx_per_slot < 1:
            raise ConfigError(f"the embedded model needs parallel >= 1 and n_ctx_per_slot >= 1 "
                              f"(got {parallel}, {n_ctx_per_slot})")
        xl = require("xllamacpp", "local")
        self.path = Path(path)
        self.name = name or self.path.stem
        self.parallel = parallel
        self.n_ctx_per_slot = n_ctx_per_slot
        p = xl.CommonParams()
        p.model.path = str(self.path)
        p.n_parallel = parallel
        p.n_ctx = n_ctx_per_slot * parallel
        p.cpuparams.n_threads = threads
        p.cpuparams_batch.n_threads = threads
        p.verbosity = -1
        p.warmup = False
        try:
            self._server = xl.Server(p)
        except Exception as exc:  # llama.cpp reports a bad file as a generic exception
            raise ModelError(f"{self.path}: llama.cpp could not load the model ({exc})") from None
        self._pool = ThreadPoolExecutor(max_workers=parallel * 2, thread_name_prefix="llama")

    @property
    def url(self) -> str:
        """The embedded server's own OpenAI-compatible address on 127.0.0.1."""
        return self._server.listening_address

    def _body(self, request: Request) -> dict:
        body = {"messages": request.messages, "temperature": request.temperature,
                "max_tokens": request.max_tokens, "cache_prompt": True}
        if request.stop:
            body["stop"] = list(request.stop)
        body["seed"] = request.seed(self.backend, self.name)
        return body

    def _call(self, body: dict, cancel: threading.Event | None = None) -> dict:
        """One chat completion, streamed and put back together as a non-streamed response; stops
        at the next token once ``cancel`` is set (the server then frees the slot)."""
        cancel = cancel or threading.Event()
        text: list[str] = []
        out: dict = {"choices": [{"index": 0, "finish_reason": None}]}

        def on_chunk(chunk: dict) -> bool:
            if "error" in chunk:
                out["error"] = chunk["error"]
                return True
            for choice in chunk.get("choices") or ():
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    text.append(piece)
                if choice.get("finish_reason"):
                    out["choices"][0]["finish_reason"] = choice["finish_reason"]
            if chunk.get("usage"):
                out["usage"] = chunk["usage"]
            return cancel.is_set()

        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        reply = self._server.handle_chat_completions(body, on_chunk)
        if isinstance(reply, dict) and "error" in reply:  # an error answered without streaming
            out["error"] = reply["error"]
        if cancel.is_set():
            out["cancelled"] = True
        out["choices"][0]["message"] = {"role": "assistant", "content": "".join(text)}
        return out

    def _error(self, error) -> ModelError:
        if isinstance(error, dict) and error.get("type") == "exceed_context_size_error":
            return PromptTooLong(error.get("n_prompt_tokens"), error.get("n_ctx", self.n_ctx_per_slot))
        return ModelError(f"embedded model error: {error}")

    async def complete(self, request: Request) -> Completion:
        t0 = time.perf_counter()
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        try:
            data = await loop.run_in_executor(self._pool, self._call, self._body(request), cancel)
        except BaseException:  # cancelled (Ctrl-C, a failed run): stop decoding at the next token
            cancel.set()
            raise
        if "error" in data:
            raise self._error(data["error"])
        return completion_from_openai(data, time.perf_counter() - t0)

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._server = None
