"""The public Python API, re-exported lazily by the top package (``import agentarch as aa``): the one
place that wires the model stack, the store, the evaluator and the optimizers together. The command
line calls it too, so both record the same runs under the same ids."""

from agentarch.api.designs import design
from agentarch.api.evaluate import EvalResult, aevaluate, evaluate
from agentarch.api.model import Model
from agentarch.api.runs import RunRecord, load_run
from agentarch.api.search import SearchRun, asearch, plan_search, search
from agentarch.api.serving import serve
from agentarch.api.settings import configure

__all__ = ["EvalResult", "Model", "RunRecord", "SearchRun", "aevaluate", "asearch", "configure", "design",
           "evaluate", "load_run", "plan_search", "search", "serve"]
