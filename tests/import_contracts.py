"""An import-linter contract type for what module-level contracts can't see: names taken from a module.

``from flask import request`` is an import of the module ``flask``, which services may use (``current_app``
for configuration), so a ``forbidden`` contract can't refuse it. This contract reads the import lines
import-linter found and refuses the listed names, however they are imported (``from flask import request``,
``import flask`` then ``flask.request`` is caught by neither, which is why ``import flask`` itself is refused).
Configured in pyproject.toml ([tool.importlinter], ``no_web_names``).
"""

from __future__ import annotations

import re

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules


class NoWebNamesContract(Contract):
    type_name = "no_web_names"

    source_modules = fields.ListField(subfield=fields.ModuleExpressionField())
    module = fields.StringField()
    names = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        module = str(self.module)
        refused = {str(name) for name in self.names}  # type: ignore[attr-defined]
        sources = module_expressions_to_modules(graph, self.source_modules)  # type: ignore[arg-type]
        importers = set()
        for source in sources:
            importers |= {source.name} | graph.find_descendants(source.name)
        broken = []
        for importer in sorted(importers):
            if module not in graph.find_modules_directly_imported_by(importer):
                continue
            for detail in graph.get_import_details(importer=importer, imported=module):
                line = detail["line_contents"]
                taken = _names_taken(line, module)
                bad = sorted(taken & refused) if taken is not None else ["(the whole module)"]
                if bad:
                    broken.append({"importer": importer, "line_number": detail["line_number"], "line": line,
                                   "names": bad})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            output.print_error(f"{item['importer']}:{item['line_number']} takes {', '.join(item['names'])} "
                               f"from {self.module}: {item['line']}", bold=False)
            output.new_line()


def _names_taken(line: str, module: str) -> set[str] | None:
    """The names a ``from module import ...`` line takes; None for ``import module`` (anything may be used)."""
    match = re.match(r"from\s+" + re.escape(module) + r"\s+import\s+\(?([^)#]*)", line.strip())
    if match is None:
        return None
    return {part.split(" as ")[0].strip() for part in match.group(1).split(",") if part.strip()}
