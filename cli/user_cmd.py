"""``basuracero user``: the people who may use the console (add, list, password, disable).

Passwords are typed at a prompt (twice) or read as one line of standard input with
``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | basuracero user add ...``), never
taken from the command line, where other users of the machine and the shell history would see
them. The database is the one ``serve`` uses: ``--db``, else ``BASURACERO_DATABASE_URL`` or the
settings file, else ``sqlite:///basuracero.db``.
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(no_args_is_help=True)

DB_OPTION = typer.Option(
    None, "--db", help="Database URL (default: the service's, sqlite:///basuracero.db)."
)


def _users(db: str | None):
    from sqlalchemy import create_engine

    from basuracero.fleet.settings import Settings
    from basuracero.fleet.users import UserStore

    url = db or Settings().database_url
    return UserStore(create_engine(url))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _served_areas() -> list[str]:
    from basuracero.fleet.settings import Settings
    from basuracero.jobs.worker import load_areas

    return list(load_areas(Settings()))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return typer.prompt(
        "Contraseña (password)", hide_input=True, confirmation_prompt="Repítala (repeat)"
    )


@app.command("add")
def add(
    name: str = typer.Argument(..., help="User name to log in with (letters, digits, . _ @ -)."),
    role: str = typer.Option(..., "--role", help="admin | manager | viewer."),
    area: list[str] = typer.Option(
        [], "--area", help="An area the user works in (repeat for several; admin: all)."
    ),
    db: str | None = DB_OPTION,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password as one line of standard input."
    ),
) -> None:
    """Añadir un usuario de la consola (add a console user)."""
    from basuracero.errors import InputError

    try:
        from basuracero.fleet.users import check_areas, check_name, check_password, check_role

        check_name(name), check_role(role), check_areas(area, _served_areas())
        password = check_password(_read_password(password_stdin))
        user = _users(db).add(name, role, area, password)
    except InputError as exc:
        raise _fail(str(exc)) from None
    areas = ", ".join(user.areas) or "todas (all)"
    typer.echo(f"usuario {user.name} creado: {user.role}, áreas {areas}")


@app.command("list")
def list_users(db: str | None = DB_OPTION) -> None:
    """Listar los usuarios (list users)."""
    users = _users(db).all_users()
    if not users:
        typer.echo("sin usuarios (no users): basuracero user add NOMBRE --role admin")
        return
    for user in users:
        state = "deshabilitado (disabled)" if user.disabled else "activo"
        typer.echo(f"{user.name}\t{user.role}\t{','.join(user.areas) or '*'}\t{state}")


@app.command("password")
def password(
    name: str = typer.Argument(..., help="User whose password changes."),
    db: str | None = DB_OPTION,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password as one line of standard input."
    ),
) -> None:
    """Cambiar la contraseña; las sesiones abiertas se cierran (set a new password)."""
    from basuracero.errors import InputError

    try:
        user = _users(db).set_password(name, _read_password(password_stdin))
    except InputError as exc:
        raise _fail(str(exc)) from None
    if user is None:
        raise _fail(f"no user {name!r}")
    typer.echo(f"contraseña de {user.name} cambiada (password changed)")


@app.command("disable")
def disable(
    name: str = typer.Argument(..., help="User to disable."), db: str | None = DB_OPTION
) -> None:
    """Deshabilitar un usuario: no entra más y pierde su sesión (disable a user)."""
    user = _users(db).disable(name)
    if user is None:
        raise _fail(f"no user {name!r}")
    typer.echo(f"usuario {user.name} deshabilitado (disabled)")
