"""Built-in tasks. Each module exposes ``NAME``, ``ORIGIN``, ``DESCRIPTION`` and ``load()``."""
