"""What anyone may read about campaigns, events and coverage (the public API and the embed page)."""
