"""`basuracero vrplib solve`: solve a standard benchmark instance and write a VRPLIB .sol file.

This is how the optimizer is compared with published results: same instance files, same
distance conventions, same solution format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from basuracero.routing.solver import Progress as SolveProgress
from basuracero.routing.solver import SolveOptions, solve
from basuracero.routing.vrplib_io import plan_routes, read_benchmark, write_solution

app = typer.Typer(
    help="Standard VRP benchmark instances (VRPLIB, Solomon, Gehring-Homberger).",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)


@app.callback()
def vrplib_group() -> None:
    """Solve standard VRP benchmark instances and write VRPLIB solutions."""


@app.command("solve")
def solve_cmd(
    instance: Annotated[
        Path,
        typer.Argument(
            help="Instance file: .vrp, .vrptw or Solomon .txt",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Solution file to write (.sol)")],
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Seconds of search")
    ] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Solve INSTANCE within --time-limit seconds and write the routes in VRPLIB format."""
    try:
        bench = read_benchmark(instance)
    except Exception as exc:  # parsing errors from any family, reported as one clear line
        err.print(f"[bold red]error:[/] cannot read {instance}: {exc}")
        raise typer.Exit(2) from exc
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[cost]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=quiet, transient=True) as bar:
        task = bar.add_task(
            f"{bench.name} ({len(bench.problem.stops)} clientes)", total=1.0, cost=""
        )

        def on_progress(p: SolveProgress) -> None:
            cost = "" if p.best_cost is None else f"{p.phase} {p.best_cost:,.1f}"
            bar.update(task, completed=p.fraction, cost=cost)

        plan = solve(
            bench.problem, SolveOptions(time_limit_s=time_limit, seed=seed, on_progress=on_progress)
        )
    routes = plan_routes(plan)
    cost = write_solution(out, bench, routes)
    if plan.unassigned:
        err.print(
            f"[yellow]warning:[/] {len(plan.unassigned)} customers not routed "
            f"({plan.unassigned[0].reason})"
        )
    err.print(f"{bench.name}: {len(routes)} routes, cost {cost} -> {out}")
    if plan.unassigned:
        raise typer.Exit(1)
