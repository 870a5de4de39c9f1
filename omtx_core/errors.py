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
    ├── LimitExceeded           a submission over a rate limit or cap; `retry_after_s` says when to try again
    └── EngineError             an engine could not do what was asked (`transient` ones are retried)
        └── EngineUnavailable   no engine is configured; jobs wait in the queue

Every class has a stable `code` (`job_not_found`, ...) that users quote and tests pin; `error_code` reads it.
`FieldProblem` is the ValueError that validators raise inside pydantic models; `InputError.from_pydantic`
turns pydantic's errors into Problems without losing the message or the hint.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from pydantic import ValidationError


class OmtxError(Exception):
    """Base of every error OMTX-Hub raises on purpose; `code` names its class for users, logs and support."""

    code = "error"  # stable: shown as "Error code: ..." on pages and in the CLI; every class has its own
    default_hint = ""  # the hint when a raise site gives none (a class whose next step is always the same)

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint or self.default_hint

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

    code = "input_invalid"

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

    code = "boltz_output_invalid"


class ConfigurationError(OmtxError):
    """A setting that is missing or invalid."""

    code = "configuration_invalid"


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

    code = "job_not_found"


class IllegalTransition(OmtxError):
    """A status change the lifecycle does not allow (e.g. completed → running)."""

    code = "illegal_transition"


class StaleJobError(OmtxError):
    """A conditional update found the job changed underneath it (status or lease owner differ)."""

    code = "job_changed"
    default_hint = "Reload the job to see it as it is now."


class StoreUnavailable(OmtxError):
    """The store cannot be reached right now (network, server down); the operation may be retried."""

    code = "store_unavailable"
    default_hint = "Try again in a minute; if it lasts, check that the job store is up (OMTX_SUPABASE_URL)."


class StoreRefused(OmtxError):
    """The store answered but refused the request (permission, row-level security, constraint); not an outage."""

    code = "store_refused"
    default_hint = "Check the job store's key and permissions, or delete the job and submit it again."

    def __init__(self, message: str, hint: str = "", *, store_code: str = "") -> None:
        super().__init__(message, hint)
        self.store_code = store_code  # the store's own code (SQLSTATE, PostgREST, HTTP status), beside ours


class ArtifactNotFound(OmtxError):
    """No artifact under this key."""

    code = "artifact_not_found"


class ImportRefused(OmtxError):
    """An archive or folder that cannot be imported: unsafe, too large, damaged, or not Boltz output."""

    code = "import_refused"


class EngineError(OmtxError):
    """An engine could not do what was asked; `transient` errors are retried with backoff."""

    code = "engine_failed"

    def __init__(self, message: str, hint: str = "", *, transient: bool = False, kind: str = "") -> None:
        super().__init__(message, hint)
        self.transient = transient
        self.kind = kind  # a failure kind (omtx_core.engines.failures); empty: classified from the message


class EngineUnavailable(EngineError):
    """No compute engine is configured; submitted jobs wait in the queue until one is."""

    code = "engine_unavailable"

    def __init__(self, message: str, hint: str = "", *, transient: bool = False, kind: str = "unavailable") -> None:
        super().__init__(message, hint, transient=transient, kind=kind)


class LimitExceeded(OmtxError):
    """A submission over a rate limit or cap; `retry_after_s` says when to try again."""

    code = "limit_exceeded"

    def __init__(self, message: str, hint: str = "", *, retry_after_s: float | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after_s = retry_after_s


def error_code(exc: BaseException) -> str:
    """The stable code of an OMTX-Hub error (its class's `code`), or "unexpected" for any other exception."""
    return type(exc).code if isinstance(exc, OmtxError) else "unexpected"


def log_unexpected(exc: BaseException, logger: logging.Logger) -> str:
    """Log an unforeseen exception with its traceback on one record under a fresh short id, and return the id:
    the user is shown only the id, which finds the traceback in the log (a traceback shows paths and values)."""
    error_id = secrets.token_hex(4)
    logger.error("unexpected error %s (%s)", error_id, type(exc).__name__, exc_info=(type(exc), exc, exc.__traceback__))
    return error_id
