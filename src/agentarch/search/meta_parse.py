"""Reading a meta model's reply into (thought, name, code), and checking the code without running
it, for Meta Agent Search (Hu et al., 2025, ADAS).

Small meta models rarely follow a format exactly, so several shapes are accepted, most explicit
first: a JSON object with ``thought``/``name``/``code`` (fenced or bare; newlines inside strings
allowed), labelled sections (``THOUGHT:``, ``NAME:``) with a fenced code block, a bare fenced
``python`` block, and finally unfenced code starting at ``def forward``.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from dataclasses import dataclass

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)
_FORWARD = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+forward[ \t]*\(", re.M)
_LABEL = r"^[ \t>*#_-]*{}[ \t*_]*[:=][ \t*_]*(.+?)[ \t*_]*$"


@dataclass
class Proposal:
    """One design written by the meta model."""

    thought: str
    name: str
    code: str


def _clean_name(name: str) -> str:
    name = re.sub(r"[`\"'*#]", "", name or "").strip()
    name = re.sub(r"\s+", " ", name)
    return name[:60].strip()


def _clean_code(code: str) -> str:
    code = textwrap.dedent(code.replace("\r\n", "\n").replace("\t", "    ")).strip("\n")
    return code.rstrip() + "\n"


def _label(text: str, word: str) -> str:
    m = re.search(_LABEL.format(word), text, re.I | re.M)
    return m.group(1).strip() if m else ""


def _json_objects(text: str):
    """Every parseable JSON object in ``text`` (fenced ones first), outermost braces."""
    blobs = [body for lang, body in _FENCE.findall(text) if lang.lower() in ("json", "")]
    start = text.find("{")
    end = text.rfind("}")
    if start >= 0 and end > start:
        blobs.append(text[start:end + 1])
    for blob in blobs:
        blob = blob.strip()
        if not blob.startswith("{"):
            continue
        try:
            obj = json.loads(blob, strict=False)
        except ValueError:
            continue
        if isinstance(obj, dict):
            yield obj


def parse_proposal(text: str) -> Proposal | None:
    """The proposal in a meta model's reply, or None when it holds no ``forward`` function."""
    text = text or ""
    for obj in _json_objects(text):
        low = {str(k).lower(): v for k, v in obj.items()}
        code = low.get("code")
        if isinstance(code, str) and _FORWARD.search(code):
            code = _strip_fences(code)
            return Proposal(str(low.get("thought") or "").strip(), _clean_name(str(low.get("name") or "")),
                            _clean_code(code))
    code = ""
    for lang, body in _FENCE.findall(text):
        if lang.lower() in ("python", "py", "python3", "") and _FORWARD.search(body):
            code = body  # the last fenced block with forward wins (revisions come last)
    if not code:
        m = _FORWARD.search(text)
        if not m:
            return None
        start = text.rfind("\n", 0, m.start()) + 1
        # include decorators/imports just above? keep it simple: imports written before forward
        head = text[:start]
        imports = [ln for ln in head.splitlines() if re.match(r"^\s*(import|from)\s+\w", ln)]
        code = "\n".join(imports + [text[start:].split("```")[0]])
    thought = _label(text, "thought") or _label(text, "reasoning") or _label(text, "idea")
    name = _label(text, "name")
    return Proposal(thought, _clean_name(name), _clean_code(code))


def parse_partial(text: str) -> Proposal:
    """Like ``parse_proposal``, but a reply without code still gives its thought and name (with
    empty ``code``), so the meta model can be asked to write the code for its idea."""
    p = parse_proposal(text)
    if p is not None:
        return p
    text = text or ""
    thought = _label(text, "thought") or _label(text, "reasoning") or _label(text, "idea")
    if not thought:
        thought = " ".join(ln.strip() for ln in text.splitlines() if ln.strip()
                           and not re.match(r"^[ \t>*#_-]*name[ \t*_]*[:=]", ln, re.I))[:300]
    return Proposal(thought, _clean_name(_label(text, "name")), "")


def _strip_fences(code: str) -> str:
    m = _FENCE.search(code)
    return m.group(2) if m else code


def check_source(code: str) -> str:
    """"" if ``code`` compiles and defines ``forward(inputs, ctx)`` at top level, else a short
    error message for the meta model. Compiles only: nothing is executed."""
    if not code.strip():
        return ("No code was given: the reply must contain a ```python block defining "
                "`async def forward(inputs, ctx)`.")
    try:
        tree = ast.parse(code, filename="agent.py")
        compile(tree, "agent.py", "exec")
    except SyntaxError as exc:
        line = (exc.text or "").rstrip()
        where = f'File "agent.py", line {exc.lineno}\n    {line.strip()}\n' if exc.lineno else ""
        return f"{where}SyntaxError: {exc.msg}"
    except (ValueError, TypeError) as exc:  # e.g. null bytes
        return f"{type(exc).__name__}: {exc}"
    for node in tree.body:
        if isinstance(node, (ast.AsyncFunctionDef, ast.FunctionDef)) and node.name == "forward":
            args = node.args
            n = len(args.posonlyargs) + len(args.args)
            if n < 2 and not args.vararg:
                return "forward must take two arguments: forward(inputs, ctx)"
            return ""
    return "NameError: the code must define a top-level `async def forward(inputs, ctx)`"
