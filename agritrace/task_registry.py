"""The tasks by name: what `agritrace.tasks.run_later` sends and what every runner (the
thread pool, `agritrace worker` through agritrace/celery.py, eager calls) ends in.

Kept apart from agritrace/tasks.py, which chooses the runner and so imports the Celery
application, so that the Celery application can register these names without importing it
back."""

from importlib import import_module

#: Task name → "module:function".
TASKS: dict[str, str] = {
    "agritrace.trace.capture_job": "agritrace.trace.capture_jobs:run_capture_job",
    "agritrace.exchange.deliver": "agritrace.exchange.delivery:run_task",
}


def function(name: str):
    """The plain function behind a task name."""
    module, _sep, attribute = TASKS[name].partition(":")
    return getattr(import_module(module), attribute)


def run_now(name: str, *args) -> object:
    """Run a task in this thread (what every runner ends in)."""
    return function(name)(*args)
