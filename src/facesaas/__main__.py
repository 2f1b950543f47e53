"""``python -m facesaas`` runs the ``facesaas`` command."""

from facesaas.cli import main

main()
