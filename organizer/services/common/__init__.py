"""Shared by every domain: domain errors, the permission table, input cleaning, token hashing."""
