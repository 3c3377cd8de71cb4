"""Export a design as one standalone Python module that imports only agentarch's model layer.

The design's logic is copied into the file, not referenced: the source of every block module the
design uses (and the modules those import: shared prompts, verifiers, step helpers), the
per-example ``Context``, the block base class and the task's answer extractor are vendored in
dependency order, with their ``agentarch.blocks``/``agentarch.tasks`` imports removed (the names
are defined earlier in the same file). So the exported agent sends exactly the prompts the design
sent during the search. The only agentarch imports left are ``agentarch.llm`` (Request/Model
types, and ``agentarch.llm.client.build`` for the command line). Two honest limits:

* ``program_of_thought``-style code execution and generated (``code_agent``) designs run in a
  plain local subprocess / in-process here, not in agentarch's sandbox (a comment in the file says so);
* ``router``/``compute_optimal`` build sub-designs from JSON at run time; for those the file keeps a
  lazy ``agentarch.blocks.spec`` import inside ``build_design`` (reported as a fallback).
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
from pathlib import Path

from agentarch.blocks.registry import get_block
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError

_INFRA = {"agentarch.blocks.base", "agentarch.blocks.context", "agentarch.blocks.registry"}
_EXTRACT_EXPR = {
    "numeric": "extract_number(text)",
    "choice": "extract_letter(text)",
    "code_tests": "extract_code(text)",
    "exact": "normalize_text(extract_text(text))",
    "f1": "normalize_text(extract_text(text))",
}


def _source(modname: str) -> str:
    return inspect.getsource(sys.modules[modname])


def _block_deps(modname: str) -> list[str]:
    """agentarch.blocks modules imported by ``modname`` (top level and inside functions)."""
    out = []
    for node in ast.walk(ast.parse(_source(modname))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("agentarch.blocks."):
            if node.module not in _INFRA and node.module != "agentarch.blocks.spec":
                out.append(node.module)
    return out


def _strip(src: str, drop_prefixes: tuple[str, ...]) -> tuple[str, str, list[str]]:
    """Remove the module docstring, ``from __future__`` and top-level imports of ``drop_prefixes``;
    returns (code, first docstring line, kept top-level import lines)."""
    tree = ast.parse(src)
    lines = src.splitlines()
    remove: set[int] = set()
    doc = ""
    kept_imports: list[str] = []
    for i, node in enumerate(tree.body):
        span = range(node.lineno - 1, node.end_lineno)
        if i == 0 and isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) \
                and isinstance(node.value.value, str):
            doc = node.value.value.strip().splitlines()[0]
            remove.update(span)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if mod == "__future__" or mod.startswith(drop_prefixes):
                remove.update(span)
            else:
                kept_imports.append("\n".join(lines[s] for s in span))
                remove.update(span)
        elif isinstance(node, ast.Import):
            kept_imports.append("\n".join(lines[s] for s in span))
            remove.update(span)
    code = "\n".join(line for j, line in enumerate(lines) if j not in remove).strip("\n")
    return code, doc, kept_imports


def _tree_blocks(spec: DesignSpec) -> list[DesignSpec]:
    out = [spec]
    for c in spec.children:
        out += _tree_blocks(c)
    return out


def _full(spec: DesignSpec) -> DesignSpec:
    """The spec with default children spelled out, as ``DesignSpec.build`` would use them."""
    cls = get_block(spec.block)
    kids = list(spec.children) or [DesignSpec(block=b) for b in cls.default_children]
    return DesignSpec(block=spec.block, params=spec.params, children=tuple(_full(k) for k in kids),
                      model=spec.model)


def _instantiate(spec: DesignSpec, indent: int = 1) -> str:
    cls = get_block(spec.block)
    pad = "    " * indent
    params = json.dumps(spec.params, sort_keys=True)
    model = f", model={spec.model!r}" if spec.model else ""  # the named model its calls go to
    if not spec.children:
        return f"{cls.__name__}({cls.__name__}.Params(**json.loads({params!r})){model})"
    kids = (",\n" + pad + "    ").join(_instantiate(c, indent + 1) for c in spec.children)
    return f"{cls.__name__}({cls.__name__}.Params(**json.loads({params!r})), [\n{pad}    {kids},\n{pad}]{model})"


LOCAL_RUNNERS = '''
# ---- running code (program-of-thought, tests) and generated agents --------------------------------
# NOTE: agentarch runs these in an isolated sandbox; this standalone file runs generated code in a
# plain subprocess (run_code) and a generated agent in-process (run_agent). Only run designs you trust.
async def run_code(code, *, timeout=10.0, stdin="", **_):
    import asyncio.subprocess as sp
    proc = await asyncio.create_subprocess_exec(sys.executable, "-I", "-c", code, stdin=sp.PIPE,
                                                stdout=sp.PIPE, stderr=sp.PIPE)
    try:
        out, errb = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return CodeResult(ok=False, error=f"timed out after {timeout}s")
    return CodeResult(ok=proc.returncode == 0, stdout=out.decode(errors="replace"),
                      error=errb.decode(errors="replace")[-2000:])


class _AgentResult:
    def __init__(self, ok, answer=None, error="", exception=None):
        self.ok, self.answer, self.error, self.exception = ok, answer, error, exception


async def run_agent(source, question, ctx):
    namespace = {"__name__": "agent"}
    try:
        exec(compile(source, "agent.py", "exec"), namespace)
        result = namespace["forward"](question, ctx)
        if inspect.isawaitable(result):
            result = await result
        return _AgentResult(True, result)
    except Exception as exc:  # the agent failed: same contract as agentarch's sandbox
        return _AgentResult(False, error=f"{type(exc).__name__}: {exc}", exception=exc)
'''

MAIN = '''
# ---- entry points ----------------------------------------------------------------------------------
def build() -> "Block":
    """The design's block tree."""
    return (
        DESIGN_TREE
    )


async def forward(question: str, model) -> str:
    """Answer ``question`` with any agentarch.llm ``Model`` (embedded, OpenAI-compatible, scripted)."""
    ctx = Context(model=model, extract=extract, run_code=run_code, run_agent=run_agent,
                  answer_format=TASK_ANSWER_FORMAT)
    return await build()(question, ctx)


def answer(question: str, model: str = "qwen2.5-coder-0.5b", base_url: str | None = None,
           api_key_env: str = "OPENAI_API_KEY") -> str:
    """Synchronous helper: build the model (embedded unless ``base_url``) and answer one question."""
    from agentarch.llm.client import build as build_model

    stack = build_model(model, base_url, api_key_env)

    async def go():
        try:
            return await forward(question, stack.model)
        finally:
            await stack.aclose()

    return asyncio.run(go())


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("question")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--base-url", default=None)
    ap.add_argument("--api-key-env", default="OPENAI_API_KEY")
    a = ap.parse_args()
    text = answer(a.question, a.model, a.base_url, a.api_key_env)
    print(text.strip())
    print("extracted answer:", extract(text))
'''


def render_module(spec: DesignSpec, *, metric: str = "", header: str = "",
                  answer_format: str = "") -> tuple[str, dict]:
    """Python source for a standalone module running ``spec``; and info on how it was rendered."""
    import agentarch.blocks.base  # noqa: F401  (make sure the modules are loaded)
    import agentarch.blocks.common  # noqa: F401
    import agentarch.blocks.context  # noqa: F401
    import agentarch.tasks.extract  # noqa: F401
    from agentarch.blocks.registry import all_blocks

    all_blocks()
    spec.build()  # a design that does not build is not exported
    full = _full(spec)
    # Modules in dependency order: common first, then what each block module imports, then it.
    order: list[str] = []

    def visit(mod: str) -> None:
        if mod in order:
            return
        for dep in _block_deps(mod):
            visit(dep)
        order.append(mod)

    visit("agentarch.blocks.common")
    for node in _tree_blocks(full):
        visit(get_block(node.block).__module__)
    fallback = any(node.block in ("router", "compute_optimal") for node in _tree_blocks(full))

    imports: list[str] = ["import asyncio", "import inspect", "import json", "import sys"]
    sections: list[str] = []
    defined: dict[str, str] = {}

    def add(modname: str, title: str | None = None) -> None:
        code, doc, kept = _strip(_source(modname), ("agentarch.blocks", "agentarch.tasks", "agentarch.errors"))
        # Names defined at top level by two vendored modules: rename the later one's.
        tree = ast.parse(code)
        for node in tree.body:
            names = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            for n in names:
                if n in defined and defined[n] != modname:
                    new = f"{n}_{modname.rsplit('.', 1)[-1]}"
                    code = re.sub(rf"\b{re.escape(n)}\b", new, code)
                else:
                    defined[n] = modname
        if modname == "agentarch.blocks.common" and not fallback:
            code = re.sub(r"(def build_design\(spec: dict\):\n(?:    .*\n|\n)*?)(?=\n\S)",
                          "def build_design(spec: dict):\n    raise NotImplementedError("
                          "'sub-designs from JSON need agentarch.blocks; not used by this design')\n", code + "\n")
        for line in kept:
            if line not in imports:
                imports.append(line)
        sections.append(f"# ==== {title or modname}: {doc}\n{code}\n")

    add("agentarch.tasks.extract", "answer extraction (agentarch.tasks.extract)")
    add("agentarch.blocks.context")
    sections.append("# ==== block base (agentarch.blocks.base, agentarch.blocks.registry, agentarch.errors)\n"
                    + _strip(_source("agentarch.blocks.base"), ("agentarch.blocks",))[0]
                    + "\n\n\ndef register(cls):\n    return cls\n\n\nclass AgentArchError(Exception):\n    pass\n\n\n"
                    "class ConfigError(AgentArchError):\n    pass\n")
    imports.append("from pydantic import BaseModel, ConfigDict")
    for mod in order:
        add(mod)
    expr = _EXTRACT_EXPR.get(metric)
    if metric in ("exact", "f1"):
        from agentarch.tasks import metrics as m

        sections.append("# ==== text normalisation (agentarch.tasks.metrics)\n"
                        f"_ARTICLES = re.compile({m._ARTICLES.pattern!r})\n"
                        f"_PUNCT = set({''.join(sorted(m._PUNCT))!r})\n\n\n" + inspect.getsource(m.normalize_text))
    expr = expr or '(text or "").strip()'
    sections.append(f"\ndef extract(text: str) -> str:\n    \"\"\"The task's answer extraction (metric "
                    f"'{metric or 'none'}').\"\"\"\n    return {expr}\n")
    sections.append(LOCAL_RUNNERS)
    sections.append(MAIN.replace("DESIGN_TREE", _instantiate(full, 2)))
    # imports: __future__ first, stdlib / pydantic / agentarch.llm after the docstring
    body_imports = sorted(set(i for i in imports if "agentarch" not in i)) + \
        sorted(set(i for i in imports if "agentarch" in i))
    bad = [i for i in body_imports if "agentarch" in i and "agentarch.llm" not in i]
    if bad:
        raise ConfigError(f"cannot export: a block imports {bad[0]!r}")
    doc = header.replace('"""', "'''")
    text = (f'"""{doc}\n"""\n\nfrom __future__ import annotations\n\n' + "\n".join(body_imports)
            + "\n\nDESIGN = " + repr(spec.to_json())
            + "\nTASK_ANSWER_FORMAT = " + repr(answer_format) + "  # what the task's answers look like, for prompts"
            + "\n\n\n" + "\n\n".join(sections))
    ast.parse(text)
    info = {"label": spec.label(), "modules": order, "fallback": fallback,
            "how": "block sources vendored" + (" (router/compute_optimal: lazy agentarch.blocks import kept)"
                                               if fallback else "")}
    return text, info


def run_design(store, run_id: str, design: str | None = None, purpose: str = "export"):
    """``(run row, design row, spec)`` of ``design`` (default: the winner) of search run ``run_id``;
    ``purpose`` names the command in the error for a run of another kind."""
    run = store.run(run_id)
    if run is None:
        raise ConfigError(f"no run '{run_id}' in {store.path}; list runs with 'agentarch runs'")
    if run["kind"] != "search":
        raise ConfigError(f"run {run['id']} is {'an' if run['kind'][:1] in 'aeiou' else 'a'} {run['kind']} run; "
                          f"{purpose} takes a search run (kind 'search' in 'agentarch runs --db {store.path}')")
    summary = json.loads(run["summary"]) if run["summary"] else {}
    report = (summary if isinstance(summary, dict) else {}).get("report") or {}
    best = (summary if isinstance(summary, dict) else {}).get("best") or {}
    chosen = design or report.get("winner") or best.get("design")
    if not chosen:
        raise ConfigError(f"run {run['id']} has no finished design to export; give a design id")
    row = store.design(chosen)
    if row is None:
        raise ConfigError(f"no design '{chosen}' in {store.path}")
    return run, row, DesignSpec.model_validate_json(row["spec"])


def export_run(store, run_id: str, design: str | None, output: str | Path) -> tuple[Path, dict]:
    """Export ``design`` (default: the run's winner) from search run ``run_id`` to ``output``."""
    run, row, spec = run_design(store, run_id, design)
    config = json.loads(run["config"])
    summary = json.loads(run["summary"]) if run["summary"] else {}
    summary = summary if isinstance(summary, dict) else {}
    report = summary.get("report") or {}
    rows = {r["design"]: r for r in report.get("designs", [])}
    mine = rows.get(row["id"])
    val_line = test_line = "not measured"
    for rd in store.run_designs(run["id"]):
        if rd["design_id"] == row["id"] and rd["summary"]:
            s = json.loads(rd["summary"])
            a = s["accuracy"]
            line = f"{a['mean']:.3f} [95% CI {a['low']:.3f}, {a['high']:.3f}] on {s['n']} examples, {s['tokens']:.0f} tokens/example"
            if rd["split"] == "val":
                val_line = line
            elif rd["split"] == "test":
                test_line = line + " (held out: never seen by the search)"
    cmp = ""
    if mine and mine.get("delta"):
        d = mine["delta"]
        cmp = (f"\n  vs best baseline ({report.get('reference_name')}, chosen by validation) on test: "
               f"{d['mean']:+.3f} [95% CI {d['low']:+.3f}, {d['high']:+.3f}], {d['label']}")
    header = (f"{spec.label()}: an agent design found by agentarch.\n\n"
              f"How it was found: search run {run['id']} with optimizer '{config.get('optimizer')}' on task "
              f"'{config.get('task')}', model {config.get('model')}, budget {config.get('budget_calls')} calls, "
              f"objective {config.get('objective')}, seed {config.get('seed')}; "
              f"stopped by {summary.get('stop_reason', '?')} after {summary.get('spent_calls', '?')} calls.\n"
              f"How well it scored:\n  validation {val_line}\n  test {test_line}{cmp}\n\n"
              f"Use:  python {Path(output).name} \"your question\" [--model PRESET | --base-url URL --model NAME]\n"
              f"      or: from {Path(output).stem} import answer, forward\n"
              "Standalone: the design's blocks are copied below; it imports only agentarch's model layer (agentarch.llm).")
    answer_format = config.get("answer_format")
    if answer_format is None:
        answer_format = task_answer_format(config.get("task"))
    text, info = render_module(spec, metric=config.get("metric") or task_metric(config.get("task")), header=header,
                               answer_format=answer_format)
    out = Path(output)
    out.write_text(text)
    return out, info


def _saved_task(task: str | None):
    """The task a run recorded, or None when it has none or it can no longer be loaded."""
    if not task:
        return None
    try:
        from agentarch.tasks.registry import load_task

        return load_task(task)
    except Exception:
        return None


def task_metric(task: str | None) -> str:
    """The metric name of the task a run recorded ('' when the task is gone)."""
    t = _saved_task(task)
    return t.metric.name if t else ""


def task_answer_format(task: str | None) -> str:
    """The answer-format hint the evaluator gave the design's prompts ('' when the task is gone)."""
    t = _saved_task(task)
    return t.answer_format() if t else ""
    try:
        from agentarch.tasks.registry import load_task

        t = load_task(task)
        return t.answer_format()
    except Exception:
        return ""
