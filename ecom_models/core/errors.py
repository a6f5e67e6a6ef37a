"""The one error type that reaches merchants.

Every problem caused by the merchant's data is raised as `InputError`, which names the
file, column and row where it can and always says what to do. The UI shows it as a
message and the CLI prints it on stderr with exit status 2; neither shows a traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """A problem with the merchant's input, explained in the merchant's words."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        fix: str | None = None,
    ):
        self.problem = problem
        self.file = file
        self.column = column
        self.row = row
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.file:
            where.append(f"file '{self.file}'")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        text = (", ".join(where) + ": " if where else "") + self.problem
        if self.fix:
            text += f" How to fix: {self.fix}"
        return text
