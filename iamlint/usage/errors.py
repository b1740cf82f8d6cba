"""Input errors the usage layer reports instead of tracebacks."""

from __future__ import annotations


class UsageInputError(Exception):
    """Bad evidence: names the file, the line (or JSON path) and what was expected."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.message = message

    def __reduce__(self) -> tuple[type[UsageInputError], tuple[str, str, int | None]]:
        # Errors travel back from worker processes; the default pickling loses the fields.
        return (UsageInputError, (self.file, self.message, self.line))

    def detached(self) -> UsageInputError:
        """The error to keep for the report: without its traceback and context, which would
        keep the failed file's bytes (tens of MB) alive until the end of an import."""
        self.__traceback__ = self.__context__ = self.__cause__ = None
        return self

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"
