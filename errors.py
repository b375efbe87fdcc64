"""The one base class of every input error, so each edge (CLI, service, job workers) can turn
any of them into the same answer: a message naming the file, the id, the field and the value.

It lives at the package's root because ``geodata`` and ``routing`` stay independent libraries:
both may import this module, neither imports the other.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: a file, a row, a field or a request value that cannot be used.

    ``field`` names the offending field when one can be named (``"area"``, ``"date"``,
    ``"vehicles_out.2"``); the message always says what was wrong and with which value.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
