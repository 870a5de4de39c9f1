"""OMTX-Hub core: task inputs, Boltz-2 planning and output parsing, with no UI (imports stay light)."""

from omtx_core.boltz.inputs import BoltzInput
from omtx_core.boltz.options import PredictionOptions
from omtx_core.boltz.plan import BoltzRun, Plan
from omtx_core.config import Settings, load_settings
from omtx_core.errors import BoltzOutputError, ConfigurationError, InputError, OmtxError, Problem
from omtx_core.tasks import TASKS, ValidatedInput, task_model, validate_task_input

__all__ = [
    "BoltzInput",
    "BoltzOutputError",
    "BoltzRun",
    "ConfigurationError",
    "InputError",
    "OmtxError",
    "Plan",
    "PredictionOptions",
    "Problem",
    "Settings",
    "TASKS",
    "ValidatedInput",
    "load_settings",
    "task_model",
    "validate_task_input",
]
