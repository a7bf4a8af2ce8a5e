"""The coverage library and its links to events."""
