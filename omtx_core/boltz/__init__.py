"""The Boltz-2 contract: input YAML, CLI options, output files."""
