"""Adhesion's operators' command line: ``python -m ops --help``.

A top-level package, not part of ``chalicelib``: ``chalice package`` ships
``app.py`` and ``chalicelib/`` to Lambda, and support tooling (which drains queues
and acts without an acting admin) has no business in the functions' bundle. It runs
the project's own services through ``chalicelib.bootstrap``, with the operator's AWS
credentials and the same settings as the functions, or with ``--local`` those of the
stack ``make run`` started (docs/operations.md).
"""
