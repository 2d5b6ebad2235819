"""``python -m weaklabel`` runs the command line."""

from .cli import main

main()
