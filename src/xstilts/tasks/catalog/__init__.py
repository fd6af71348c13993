"""The tasks of xstilts, one module per task: ``catalog/xnli.py`` holds everything about XNLI.

The rule the registry (``tasks/registry.py``) enforces: every module in this folder is a task,
named after it, and defines ``SPEC``, a :class:`~xstilts.tasks.spec.TaskSpec` with that name.
Helpers that several tasks share (a file layout, a release's reader glue) live one level up, in
``tasks/`` (``layout.py``, ``squad_files.py``, ...), never in another task's module. Adding a
task is adding one file here (and its test); no other file lists it.
"""
