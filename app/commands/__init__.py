"""Subcommands of the ``osteoplan`` command line, one module each.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args, ctx) -> dict``.
``run`` returns the JSON-able result; :mod:`app.cli` prints it, maps errors to exit code 2 and
shows progress on stderr.
"""
