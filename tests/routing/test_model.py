import numpy as np
import pytest

from basuracero.routing.model import (
    Depot,
    DisposalSite,
    DriverBreak,
    Load,
    Problem,
    ProblemError,
    Stop,
    TimeWindow,
    Vehicle,
)


def test_negative_capacity_names_vehicle_and_field() -> None:
    with pytest.raises(ProblemError, match=r"vehicle 'T2': capacity_kg must be > 0, got -5"):
        Vehicle("T2", capacity_kg=-5, start_depot="D")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Stop("s1", service_s=-1), r"stop 's1': service_s must be >= 0"),
        (lambda: Stop("s1", time_windows=(TimeWindow(10, 5),)), r"stop 's1': time_windows\[0\]"),
        (lambda: Stop("s1", {"mixed": Load(kg=-3)}), r"stop 's1': demand\['mixed'\].kg"),
        (lambda: Stop("s1", required=False), r"stop 's1': penalty must be >= 0"),
        (lambda: DisposalSite("L", kind="pit"), r"disposal site 'L': kind must be one of"),
        (lambda: DisposalSite("L", streams=()), r"disposal site 'L': streams"),
        (lambda: Vehicle("T", 100, "D", driver_break=DriverBreak(5, 1, 10)),
         r"vehicle 'T': driver_break.latest_start_s"),
        (lambda: Vehicle("T", 100, "D", shift_start_s=10, shift_end_s=5),
         r"vehicle 'T': shift_end_s"),
        (lambda: Depot("D", open_s=-1), r"depot 'D': open_s"),
    ],
)
def test_invalid_fields(build, message) -> None:
    with pytest.raises(ProblemError, match=message):
        build()


def test_problem_checks_matrix_shape_and_references() -> None:
    depot, vehicle = Depot("D"), Vehicle("T", 100, "D")
    with pytest.raises(ProblemError, match="duration_s must be a 2x2 matrix"):
        Problem([depot], [], [vehicle], [Stop("s")], np.zeros((3, 3), int), np.zeros((2, 2), int))
    with pytest.raises(ProblemError, match=r"vehicle 'X': start_depot 'Z' is not a depot"):
        Problem([depot], [], [Vehicle("X", 1, "Z")], [], np.zeros((1, 1), int),
                np.zeros((1, 1), int))
    with pytest.raises(ProblemError, match=r"stop 'D': id is already used by a depot"):
        Problem([depot], [], [vehicle], [Stop("D")], np.zeros((2, 2), int), np.zeros((2, 2), int))
    with pytest.raises(ProblemError, match="must not be negative"):
        Problem([depot], [], [vehicle], [Stop("s")], -np.ones((2, 2), int), np.zeros((2, 2), int))
