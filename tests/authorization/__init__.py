"""The authorization matrix: every route × every persona, one table per area (routes_<area>.py)."""
