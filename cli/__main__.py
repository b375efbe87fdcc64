"""``python -m cli`` runs the ``basuracero`` command (handy where scripts are not on PATH)."""

from cli import main

main()
