"""`basuracero carp solve`: solve a classic CARP instance (street service) and write its routes.

This is how the arc-routing part is compared with published results: Belenguer's CARPLIB files,
the gdb/val/egl cost convention (service + deadheading), and a small JSON answer another tool can
check: `{"cost": int, "routes": [[[u, v], ...], ...]}`, each route's required edges in service
order, each served from u to v, deadheading on shortest paths implied, from and back to the depot.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from basuracero.routing.carp import CarpError, read_carp
from basuracero.routing.carp_check import check_solution
from basuracero.routing.carp_solver import CarpCheckError, CarpOptions, solve_carp

app = typer.Typer(
    help="Arc routing (CARP) benchmark instances: gdb, val, egl, Beullens.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # messages stay one line


@app.callback()
def carp_group() -> None:
    """Solve Capacitated Arc Routing instances and write checked routes as JSON."""


@app.command("solve")
def solve_cmd(
    instance: Annotated[
        Path,
        typer.Argument(
            help="CARPLIB instance file (.dat)", exists=True, dir_okay=False, readable=True
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Solution file to write (.json)")],
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Seconds of search")
    ] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 0,
    engine: Annotated[
        str, typer.Option("--engine", help="auto (PyVRP then OR-Tools), pyvrp or ortools")
    ] = "auto",
) -> None:
    """Solve INSTANCE within --time-limit seconds and write {"cost", "routes"} to --out."""
    if engine not in ("auto", "pyvrp", "ortools"):
        err.print(f"[bold red]error:[/] --engine must be auto, pyvrp or ortools, got {engine!r}")
        raise typer.Exit(2)
    try:
        carp = read_carp(instance)
    except CarpError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    for warning in carp.warnings:
        err.print(f"[yellow]warning:[/] {instance}: {warning}")
    try:
        sol = solve_carp(carp, CarpOptions(time_limit_s=time_limit, seed=seed, engine=engine))
    except CarpCheckError as exc:
        err.print(f"[bold red]error:[/] {instance}: {exc}")
        raise typer.Exit(1) from exc
    ids = [[k for k, _, _ in route] for route in sol.routes]
    problems = check_solution(carp, sol.pairs(), sol.cost, edge_ids=ids)
    if problems:  # already checked inside the solver; never write an unchecked answer
        err.print(f"[bold red]error:[/] {instance}: {problems[0]}")
        raise typer.Exit(1)
    try:
        out.write_text(json.dumps(sol.to_dict()) + "\n")
    except OSError as exc:
        err.print(f"[bold red]error:[/] cannot write {out}: {exc.strerror}")
        raise typer.Exit(2) from exc
    deadhead = sol.cost - carp.service_cost
    err.print(
        f"{carp.name or instance.stem}: cost {sol.cost} (service {carp.service_cost} + "
        f"deadheading {deadhead}), {len(sol.routes)} routes, {len(carp.required)} required "
        f"edges, {sol.engine} -> {out}"
    )
