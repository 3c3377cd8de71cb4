"""Tasks: examples plus a metric. Built-in tasks, user files, answer extraction and scoring.

Layer rule: tasks imports only ``agentarch.errors``; never blocks or anything above.
"""

from agentarch.tasks.example import Example
from agentarch.tasks.extract import extract_code, extract_letter, extract_number, extract_text
from agentarch.tasks.loaders import load_file
from agentarch.tasks.metrics import METRICS, Metric, get_metric, normalize_text
from agentarch.tasks.registry import TASKS, list_tasks, load_task
from agentarch.tasks.task import Split, Task, limit

__all__ = [
    "Example", "Task", "Split", "limit", "Metric", "METRICS", "get_metric", "normalize_text",
    "extract_number", "extract_letter", "extract_text", "extract_code", "load_file",
    "TASKS", "list_tasks", "load_task",
]
