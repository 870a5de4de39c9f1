"""One exception tree for OMTX-Hub: every error carries a user message and a hint.

    OmtxError                   message + hint, safe to show to a scientist
    ├── InputError              invalid task input; lists every Problem (field, message, hint)
    ├── BoltzOutputError        a folder that is not (complete) Boltz output; names the file
    ├── ConfigurationError      a setting that is missing or wrong
    ├── JobNotFound             no such job, or not one the caller may see
    ├── IllegalTransition       a status change the job lifecycle forbids
    ├── StaleJobError           a conditional update found the job changed underneath it
    ├── StoreUnavailable        the store cannot be reached right now; retry later
    ├── StoreRefused            the store answered but refused (permissions, constraints)
    ├── ArtifactNotFound        no stored file under this key
    ├── ImportRefused           Boltz output that cannot be imported (unsafe, too large, damaged)
    └── EngineError             an engine could not do what was asked (`transient` ones are retried)
        └── EngineUnavailable   no engine is configured; jobs wait in the queue

`FieldProblem` is the ValueError that validators raise inside pydantic models; `InputError.from_pydantic`
turns pydantic's errors into Problems without losing the message or the hint.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


class OmtxError(Exception):
    """Base of every error OMTX-Hub raises on purpose."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class FieldProblem(ValueError):
    """Raised by validators: what is wrong with one value, and how to fix it.

    `field` locates the problem below the validator's own location (a model validator checking
    `pocket_residues` passes `field="pocket_residues"`); `more` carries further problems found at once.
    """

    def __init__(self, message: str, hint: str = "", *, field: str = "", more: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field
        self.more = more

    @classmethod
    def collect(cls, problems: list[Problem]) -> FieldProblem:
        """One exception that reports several problems, each at its own field."""
        first, *rest = problems
        return cls(first.message, first.hint, field=first.field, more=tuple(rest))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submitted input, located by its field path (e.g. `variants.2.mutations`)."""

    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{where}{self.message}" + (f" Fix: {self.hint}" if self.hint else "")


class InputError(OmtxError):
    """Invalid task input; `problems` lists each one with the field it belongs to."""

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"The input has {count} {noun}.", "Correct the fields listed and submit again.")
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @classmethod
    def single(cls, field: str, message: str, hint: str = "") -> InputError:
        return cls([Problem(field, message, hint)])

    @classmethod
    def from_pydantic(cls, exc: ValidationError) -> InputError:
        return cls([problem for error in exc.errors() for problem in _problems_from_error(error)])


class BoltzOutputError(OmtxError):
    """A folder that is not Boltz output, or is missing or has a malformed expected file."""


class ConfigurationError(OmtxError):
    """A setting that is missing or invalid."""


def field_path(loc: tuple[int | str, ...]) -> str:
    """Pydantic location to a dotted path; list positions stay 0-based as in the JSON."""
    return ".".join(str(part) for part in loc)


# Pydantic's own messages for the common error types, in plain words.
_PLAIN_MESSAGES = {
    "missing": ("This field is required.", "Fill it in."),
    "extra_forbidden": ("This field is not part of this task's input.", "Remove it or check its spelling."),
    "string_too_short": ("This field is empty or too short.", "Fill it in."),
}


def _problems_from_error(error: dict) -> list[Problem]:
    loc = tuple(error.get("loc", ()))
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        first = Problem(cause.field, cause.message, cause.hint)
        return [Problem(_join(loc, p.field), p.message, p.hint) for p in (first, *cause.more)]
    path = field_path(loc)
    if error["type"] in _PLAIN_MESSAGES:
        return [Problem(path, *_PLAIN_MESSAGES[error["type"]])]
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return [Problem(path, message[:1].upper() + message[1:].rstrip(".") + ".")]


def _join(loc: tuple[int | str, ...], field: str) -> str:
    return ".".join(part for part in (field_path(loc), field) if part)


class JobNotFound(OmtxError):
    """No job with this id, or not one the caller may see (the two are never told apart)."""


class IllegalTransition(OmtxError):
    """A status change the lifecycle does not allow (e.g. completed → running)."""


class StaleJobError(OmtxError):
    """A conditional update found the job changed underneath it (status or lease owner differ)."""


class StoreUnavailable(OmtxError):
    """The store cannot be reached right now (network, server down); the operation may be retried."""


class StoreRefused(OmtxError):
    """The store answered but refused the request (permission, row-level security, constraint); not an outage."""

    def __init__(self, message: str, hint: str = "", *, code: str = "") -> None:
        super().__init__(message, hint)
        self.code = code


class ArtifactNotFound(OmtxError):
    """No artifact under this key."""


class ImportRefused(OmtxError):
    """An archive or folder that cannot be imported: unsafe, too large, damaged, or not Boltz output."""


class EngineError(OmtxError):
    """An engine could not do what was asked; `transient` errors are retried with backoff."""

    def __init__(self, message: str, hint: str = "", *, transient: bool = False) -> None:
        super().__init__(message, hint)
        self.transient = transient


class EngineUnavailable(EngineError):
    """No compute engine is configured; submitted jobs wait in the queue until one is."""
