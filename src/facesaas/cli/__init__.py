"""The ``facesaas`` command line."""

from facesaas.cli.main import cli, main

__all__ = ["cli", "main"]
