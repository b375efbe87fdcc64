"""``basuracero user add|list|disable``: passwords from a prompt or stdin, never argv."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from basuracero.cli import app
from basuracero.fleet.users import UserStore

runner = CliRunner()


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'users.db'}"


def _store(url: str) -> UserStore:
    from sqlalchemy import create_engine

    return UserStore(create_engine(url))


def test_add_list_and_disable_a_user(tmp_path: Path) -> None:
    db = _db(tmp_path)
    added = runner.invoke(
        app,
        ["user", "add", "mario", "--role", "manager", "--area", "florencia-de-mora",
         "--db", db, "--password-stdin"],
        input="una-clave-larga\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "una-clave-larga" not in added.output
    listed = runner.invoke(app, ["user", "list", "--db", db])
    assert "mario\tmanager\tflorencia-de-mora\tactivo" in listed.output
    assert _store(db).authenticate("mario", "una-clave-larga") is not None
    changed = runner.invoke(
        app, ["user", "password", "mario", "--db", db, "--password-stdin"], input="otra-clave-1\n"
    )
    assert changed.exit_code == 0, changed.output
    assert _store(db).authenticate("mario", "una-clave-larga") is None
    assert _store(db).authenticate("mario", "otra-clave-1") is not None
    assert runner.invoke(app, ["user", "disable", "mario", "--db", db]).exit_code == 0
    assert _store(db).authenticate("mario", "otra-clave-1") is None
    assert "deshabilitado" in runner.invoke(app, ["user", "list", "--db", db]).output


def test_the_prompt_asks_twice(tmp_path: Path) -> None:
    db = _db(tmp_path)
    typed = runner.invoke(
        app, ["user", "add", "ana", "--role", "admin", "--db", db], input="clave-1234\nclave-1234\n"
    )
    assert typed.exit_code == 0, typed.output
    assert _store(db).authenticate("ana", "clave-1234") is not None


def test_bad_input_exits_2_naming_what_is_wrong(tmp_path: Path) -> None:
    db = _db(tmp_path)

    def add(*args: str, password: str = "una-clave-larga") -> tuple[int, str]:
        result = runner.invoke(
            app, ["user", "add", *args, "--db", db, "--password-stdin"], input=password + "\n"
        )
        return result.exit_code, result.output

    code, output = add("vera", "--role", "viewer", "--area", "florencia-de-mora", password="corta")
    assert code == 2 and "password" in output
    code, output = add("vera", "--role", "boss", "--area", "florencia-de-mora")
    assert code == 2 and "boss" in output
    code, output = add("vera", "--role", "viewer", "--area", "atlantis")
    assert code == 2 and "atlantis" in output
    code, output = add("vera", "--role", "viewer")
    assert code == 2 and "--area" in output
    assert add("vera", "--role", "viewer", "--area", "florencia-de-mora")[0] == 0
    code, output = add("vera", "--role", "viewer", "--area", "florencia-de-mora")
    assert code == 2 and "already exists" in output
    assert runner.invoke(app, ["user", "disable", "nadie", "--db", db]).exit_code == 2


def test_there_is_no_password_option(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["user", "add", "x", "--role", "admin", "--password", "secreto123", "--db", _db(tmp_path)],
    )
    assert result.exit_code != 0
    assert not _store(_db(tmp_path)).all_users()
