"""Turns the OpenAPI specs in ``specs/`` into the Python package in ``generated/``.

Run it with ``make generate`` (``python -m codegen``). Nothing outside ``generated/`` is
written, and ``src/`` never imports this package.
"""
