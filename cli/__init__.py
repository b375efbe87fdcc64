"""The ``basuracero`` command: the manager's entry point to every job of the product."""

from __future__ import annotations

import typer

from basuracero.cli import (
    carp_cmd,
    demo_cmd,
    geo_cmds,
    plan_cmd,
    serve_cmd,
    transparency_cmd,
    user_cmd,
    vrplib_cmd,
)

app = typer.Typer(
    name="basuracero",
    help="Basura Cero: rutas de recolección de residuos sobre calles reales "
    "(waste-collection routes on real streets).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
geo_cmds.register(app)
transparency_cmd.register(app)
app.command("demo")(demo_cmd.demo)
app.command("plan")(plan_cmd.plan)
app.command("serve")(serve_cmd.serve)
app.command("worker")(serve_cmd.worker)
app.add_typer(carp_cmd.app, name="carp", help="Instancias CARP (arc routing).")
app.add_typer(vrplib_cmd.app, name="vrplib", help="Instancias VRPLIB/Solomon (standard instances).")
app.add_typer(user_cmd.app, name="user", help="Usuarios de la consola (console users).")


def main() -> None:
    app()
