"""``python -m basuracero.cli`` runs the ``basuracero`` command (where scripts are not on PATH)."""

from basuracero.cli import main

main()
