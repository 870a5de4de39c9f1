"""Analyses of predicted structures: pockets, contacts and interfaces, variant effects, compound screens."""
