"""Parameterized notebook runs and pipelines: the same engine for the service, the CLI and CI."""
