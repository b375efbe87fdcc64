"""Parser of Belenguer's CARPLIB format: real files, tolerated variations, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import benchmarks_dir

from basuracero.routing.carp import CarpError, parse_carp, read_carp

DATA = benchmarks_dir() / "carp"
needs_data = pytest.mark.skipif(
    not DATA.exists(), reason=f"CARP files not present in {DATA} (set BASURACERO_BENCHMARKS_DIR)"
)

SMALL = """ NOMBRE : tiny
 COMENTARIO : 10000 (cota superior)
 VERTICES : 4
 ARISTAS_REQ : 2
 ARISTAS_NOREQ : 1
 VEHICULOS : 2
 CAPACIDAD : 5
 TIPO_COSTES_ARISTAS : EXPLICITOS
 COSTE_TOTAL_REQ : 5
 LISTA_ARISTAS_REQ :
 (  1,  2)   coste     2   demanda     3
 ( 2, 3)  coste 3 demanda 2
 LISTA_ARISTAS_NOREQ :
 ( 3, 4)   coste 7
 DEPOSITO :   4
"""


def test_small_text_fields() -> None:
    inst = parse_carp(SMALL)
    assert (inst.name, inst.n_vertices, inst.capacity, inst.depot) == ("tiny", 4, 5, 4)
    assert [(e.u, e.v, e.cost, e.demand) for e in inst.required] == [(1, 2, 2, 3), (2, 3, 3, 2)]
    assert [(e.u, e.v, e.cost) for e in inst.other] == [(3, 4, 7)]
    assert inst.service_cost == 5 and inst.total_demand == 5 and inst.vehicles == 2
    assert inst.distances[4, 1] == 12
    assert not inst.warnings


def test_missing_optional_fields_are_tolerated() -> None:
    text = "LISTA_ARISTAS_REQ :\n(1, 2) coste 4 demanda 1\n(2, 3) coste 1 demanda 1\n"
    inst = parse_carp(text)
    assert (inst.n_vertices, inst.depot, inst.capacity) == (3, 1, 2)
    assert len(inst.warnings) == 3


def test_count_mismatch_is_a_warning() -> None:
    inst = parse_carp(SMALL.replace("ARISTAS_REQ : 2", "ARISTAS_REQ : 3"))
    assert any("ARISTAS_REQ says 3" in w for w in inst.warnings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("coste 3 demanda 2", "cost 3 demand 2"), "t.dat:12: cannot read edge line"),
        (("( 3, 4)", "( 3, 9)"), "t.dat:14: edge (3, 9) has a vertex outside 1..4"),
        (("demanda     3", "demanda     9"), "t.dat:11: demand 9 of edge (1, 2) exceeds"),
        (("CAPACIDAD : 5", "CAPACIDAD : many"), "t.dat:7: CAPACIDAD must be an integer"),
        (("DEPOSITO :   4", "DEPOSITO :   8"), "t.dat:15: DEPOSITO 8 is not in 1..4"),
        ((" ( 3, 4)   coste 7\n", ""), "t.dat:11: required edge (1, 2) cannot be reached"),
        (("LISTA_ARISTAS_REQ :", "LISTA_REQ"), "t.dat:10: cannot read line"),
    ],
)
def test_errors_name_file_and_line(change: tuple[str, str], message: str) -> None:
    with pytest.raises(CarpError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_carp(SMALL.replace(*change), "t.dat")


def test_no_required_edges() -> None:
    with pytest.raises(CarpError, match="no required edges"):
        parse_carp("NOMBRE : x\nDEPOSITO : 1\n", "x.dat")


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CarpError, match="cannot read file"):
        read_carp(tmp_path / "nope.dat")


@needs_data
def test_gdb1_and_beullens_depot() -> None:
    gdb1 = read_carp(DATA / "gdb" / "gdb1.dat")
    assert (gdb1.name, gdb1.n_vertices, len(gdb1.required), gdb1.depot) == ("gdb1", 12, 22, 1)
    assert gdb1.service_cost == 252 and gdb1.capacity == 5
    c01 = read_carp(DATA / "beullens" / "C01.dat")
    assert c01.depot == 40 and len(c01.required) == 79 and len(c01.other) == 19
    assert c01.service_cost == 2490


@needs_data
def test_every_shipped_file_parses_cleanly() -> None:
    files = sorted(DATA.glob("*/*.dat"))
    assert len(files) > 150
    for path in files:
        inst = read_carp(path)
        assert not inst.warnings, (path, inst.warnings)
