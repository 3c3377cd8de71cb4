"""BIG-bench tasks (Srivastava et al., 2022) from the ``bigbench==1.0.0`` sdist: fetch it once
(``fetch``), read task.json files out of it (``archive``), convert them (``convert``) and keep
them in the user's task folder (``importer``)."""

from agentarch.tasks.bigbench.importer import SUITE, Imported, import_tasks, load_bigbench, parse_ref

__all__ = ["SUITE", "Imported", "import_tasks", "load_bigbench", "parse_ref"]
