"""Persistence adapters: tables, repositories, unit of work, audit writer (imported by bootstrap only)."""
