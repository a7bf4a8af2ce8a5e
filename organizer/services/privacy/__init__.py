"""Privacy: forgetting supporters on the campaign's schedule."""
