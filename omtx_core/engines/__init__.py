"""Compute engines: move Boltz inputs to Boltz outputs (local `boltz` subprocess, Modal GPUs)."""
