"""The workflow behind the ``rnnkit`` command: recipes, run directories, plots and reports.

``recipes`` resolves a recipe; ``data`` and ``encoders`` turn its texts into arrays; ``build``
makes the model; ``train`` writes a run directory (``runs``); ``predict``, ``evaluation``,
``plots`` and ``report`` read runs back; ``commands`` is what each subcommand does.
"""
