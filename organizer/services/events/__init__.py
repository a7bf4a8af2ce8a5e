"""Events: creating, changing, publishing, questions, listings."""
