"""The FastAPI app: OpenAI's ``/v1/chat/completions`` and ``/v1/models`` over a set of designs, and
``/health``. Built by ``create_app`` so a dashboard can mount it (``parent.mount("/", app)``); it
owns no resources: whoever built the model stack closes it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from typing import Sequence

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from agentarch.serve import schema
from agentarch.serve.designs import ServedDesign
from agentarch.serve.errors import APIError, internal_error
from agentarch.serve.options import ServeOptions
from agentarch.serve.runner import answer, check_budget

log = logging.getLogger("uvicorn.error")
_PIECES = re.compile(r"\s*\S+|\s+$")


def create_app(designs: Sequence[ServedDesign], stack, options: ServeOptions | None = None,
               tools: dict | None = None) -> FastAPI:
    """An app answering with ``designs`` (model name -> design) over ``stack`` (a ``ModelStack``).

    ``tools`` are extra ``Context`` fields (``run_code``/``run_agent``: the sandbox) for designs
    that run code. ``options`` holds the per-request limits and the accepted API keys."""
    options = options or ServeOptions()
    by_name = {d.name: d for d in designs}
    created = int(time.time())
    keys = [k.encode() for k in options.api_keys]
    state = {"in_flight": 0, "served": 0, "failed": 0}
    app = FastAPI(title="agentarch", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.agentarch = {"designs": by_name, "stack": stack, "options": options, "counters": state}

    @app.exception_handler(APIError)
    async def _api_error(_request: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return APIError(exc.status_code, str(exc.detail), code).response()

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error while answering", exc_info=exc)
        return internal_error().response()

    def key_ok(request: Request) -> bool:
        if not keys:
            return True
        header = request.headers.get("authorization", "")
        given = header[7:].strip().encode() if header[:7].lower() == "bearer " else b""
        ok = False
        for k in keys:  # every key is compared, in constant time, whatever matched before
            ok |= hmac.compare_digest(given, k)
        return ok

    def authorize(request: Request) -> None:
        if not key_ok(request):
            raise APIError(401, "missing or wrong API key: send 'Authorization: Bearer <key>'", "invalid_api_key")

    async def read_body(request: Request) -> dict:
        limit = options.max_request_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise APIError(413, f"request body of {declared} bytes is over the limit of {limit}", "request_too_large")
        body = bytearray()
        async for part in request.stream():
            body += part
            if len(body) > limit:
                raise APIError(413, f"request body is over the limit of {limit} bytes", "request_too_large")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise APIError(400, f"the body is not valid JSON: {exc}", "invalid_json") from None
        if not isinstance(data, dict):
            raise APIError(400, "the body must be a JSON object", "invalid_json")
        return data

    def parse(data: dict) -> schema.ChatRequest:
        try:
            req = schema.ChatRequest.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "(body)"
            raise APIError(400, f"field '{where}': {err['msg']}", "invalid_request", where) from None
        bad = req.unsupported()
        if bad:
            raise APIError(400, bad[1], "unsupported_parameter", bad[0])
        return req

    def design_for(name: str) -> ServedDesign:
        design = by_name.get(name)
        if design is None:
            raise APIError(404, f"no model '{name}' is served here; GET /v1/models lists them: "
                                f"{', '.join(sorted(by_name))}", "model_not_found", "model")
        return design

    @app.get("/health")
    async def health(request: Request) -> dict:
        """Open to all (load balancers); the models and counters only with a valid key, if one is set."""
        if not key_ok(request):
            return {"status": "ok"}
        meter = getattr(stack, "meter", None)
        budget = {}
        if meter is not None:
            budget = {"calls_used": meter.used.calls, "calls_limit": meter.budget.calls,
                      "tokens_used": meter.used.tokens, "tokens_limit": meter.budget.tokens}
        return {"status": "ok", "models": sorted(by_name), "in_flight": state["in_flight"],
                "served": state["served"], "failed": state["failed"], "budget": budget}

    @app.get("/v1/models")
    async def models(request: Request) -> dict:
        authorize(request)
        return {"object": "list", "data": [d.card(created) for d in by_name.values()]}

    @app.get("/v1/models/{name:path}")
    async def model(name: str, request: Request) -> dict:
        authorize(request)
        return design_for(name).card(created)

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        authorize(request)
        req = parse(await read_body(request))
        design = design_for(req.model)
        check_budget(stack)
        if req.stream:
            return StreamingResponse(_stream(design, req), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        state["in_flight"] += 1
        try:
            out = await answer(design, req, stack, options, tools)
        except BaseException:
            state["failed"] += 1
            raise
        finally:
            state["in_flight"] -= 1
        state["served"] += 1
        return JSONResponse(schema.completion(schema.completion_id(), design.name, _fingerprint(design),
                                              out.text, out.usage(), out.extra()))

    async def _stream(design: ServedDesign, req: schema.ChatRequest):
        """Server-sent events: the role at once, comments while the design works (so proxies keep
        the connection), then the answer in word-sized pieces, the finish, the usage if asked."""
        cid, now, fp = schema.completion_id(), int(time.time()), _fingerprint(design)

        def event(obj: dict) -> str:
            return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

        state["in_flight"] += 1
        task = asyncio.ensure_future(answer(design, req, stack, options, tools))
        try:
            yield event(schema.chunk(cid, design.name, fp, now, {"role": "assistant", "content": ""}))
            while not task.done():
                done, _ = await asyncio.wait({task}, timeout=options.keepalive_seconds)
                if not done:
                    yield ": working\n\n"
            try:
                out = task.result()
            except APIError as exc:
                state["failed"] += 1
                yield event(exc.body())
                return
            except Exception as exc:
                state["failed"] += 1
                log.error("unexpected error while streaming an answer", exc_info=exc)
                yield event(internal_error().body())
                return
            for piece in _PIECES.findall(out.text):
                yield event(schema.chunk(cid, design.name, fp, now, {"content": piece}))
            yield event(schema.chunk(cid, design.name, fp, now, {}, "stop"))
            if req.stream_options and req.stream_options.include_usage:
                yield event(schema.usage_chunk(cid, design.name, fp, now, out.usage()))
            yield "data: [DONE]\n\n"
            state["served"] += 1
        finally:
            state["in_flight"] -= 1
            if not task.done():
                task.cancel()

    return app


def _fingerprint(design: ServedDesign) -> str:
    return f"agentarch-{design.spec.id}"
