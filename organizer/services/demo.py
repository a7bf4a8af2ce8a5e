"""Demo data: the Syria solidarity campaign from shared/seed. Filled in by the foundation work."""


def load_demo() -> bool:
    return False
