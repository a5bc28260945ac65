"""docq's layers, checked on every import in src/, at module level and inside functions:
a module imports only from its own layer or the ones below (docs/design.md, "Architecture")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "docq"

# Bottom up; a module may import its own layer and those listed before it.
LAYERS: list[tuple[str, set[str]]] = [
    ("base", {"errors", "types", "text", "interrupts", "progress", "hashing", "tuning", "config", "version"}),
    ("store", {"store"}),
    ("models", {"models"}),
    ("llm", {"llm"}),
    ("indexers", {"indexers"}),
    ("pipeline", {"pipeline"}),
    ("evaluation", {"evaluation"}),
    ("library", {"library"}),
    ("face", {"render", "cli", "entry", "__main__", "__init__"}),  # the CLI and the package's public face
]


def layer_of(module: str) -> int:
    """Layer index of a dotted module under docq ("docq.pipeline.ask" -> pipeline's)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    for index, (_, members) in enumerate(LAYERS):
        if top in members:
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS (and docs/design.md)")


def module_name(path: Path) -> str:
    relative = path.relative_to(SRC.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] if len(parts) > 1 else [*parts[:-1], "__init__"]
    return ".".join(parts) if parts != ["docq"] else "docq.__init__"


def imports(tree: ast.AST) -> list[tuple[str, int]]:
    """Every docq module imported anywhere in the tree (functions included), with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "docq"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "docq":
            if node.module == "docq":  # from docq import interrupts: the submodule
                found += [(f"docq.{a.name}", node.lineno) for a in node.names]
            else:
                found.append((node.module, node.lineno))
    return found


def test_every_import_respects_the_layers() -> None:
    wrong = []
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 40
    for path in files:
        source = module_name(path)
        for target, line in imports(ast.parse(path.read_text(), str(path))):
            if layer_of(target) > layer_of(source):
                wrong.append(f"{path.relative_to(SRC)}:{line} {source} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_the_layer_check_sees_imports_inside_functions() -> None:
    tree = ast.parse("def f():\n    from docq.library import Library\n")
    assert imports(tree) == [("docq.library", 2)]
    assert layer_of("docq.library") > layer_of("docq.pipeline.ask")


def test_only_the_library_and_the_store_open_the_stores() -> None:
    """The catalog, Chroma and BM25 are opened in store/ and library/ alone (one owner)."""
    calls = {
        "Catalog(": re.compile(r"\bCatalog\("),
        "connect(": re.compile(r"(?<![\w.])connect\("),  # Chroma's (indexers.vectors), not sqlite3's
        "BM25Index.load(": re.compile(r"BM25Index\.load\("),
        "PersistentClient(": re.compile(r"PersistentClient\("),
    }
    openers: dict[str, set[str]] = {name: set() for name in calls}
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        for name, pattern in calls.items():
            if pattern.search(text):
                openers[name].add(path.relative_to(SRC).parts[0])
    assert openers["Catalog("] <= {"store", "library"}
    assert openers["BM25Index.load("] <= {"library"}
    assert openers["connect("] <= {"indexers", "library"} and openers["PersistentClient("] <= {"indexers"}


def test_only_llm_touches_kv_state() -> None:
    """KV states are the backend's business: saved, loaded and listed by llm/ alone."""
    touching = {
        path.relative_to(SRC).parts[0]
        for path in SRC.rglob("*.py")
        if re.search(r"llama_state_|KVCache\(|\.kv_cache\b(?!_dir)", path.read_text())
    }
    assert touching == {"llm"}
