"""Shared helpers below every capability: errors, JSON, formatting, dates, statistics, paths, Dask plumbing.

Imports nothing: importing a core module loads only that module."""
