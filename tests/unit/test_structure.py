"""The package's shape, read from the source with ast: no import cycles, arrows pointing down,
serving free of the build libraries, a docstring atop every module, no module over 300 lines,
and a README tree that matches bot/. Fast: nothing here imports the bot."""
import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from support import ROOT

BOT = ROOT / "bot"
MAX_LINES = 300
# The libraries of the build path. No module may import them when it is imported (only inside
# the functions that build, train, export or compare), except the build-time modules below.
BUILD_LIBRARIES = ("torch", "sentence_transformers", "transformers", "sklearn", "lightgbm", "onnxmltools",
                   "bm25s", "scipy")
# sentence-transformers' input module over the ONNX graph must subclass InputModule, so it
# imports sentence-transformers (and torch) at module level; bot.knowledge.embedder, the only
# module that uses it, imports it inside the function that builds the model.
BUILD_TIME_MODULES = ("bot.knowledge.onnx_module",)
# Each package's rank: a module may import modules of its own rank or lower, never higher.
# bot.build sits above the pipeline because the verifier is trained on the pipeline's own
# features; the top-level modules (settings, environment, errors, store) are the base.
RANKS = {"bot": 0, "bot.knowledge": 1, "bot.pipeline": 2, "bot.build": 3, "bot.adapters": 4,
         "bot.testing": 5, "bot.__main__": 5}
# Module folders whose every module the README's tree names (the Telegram adapter and the test
# support are named by their packages).
NAMED_IN_FULL = ("", "adapters", "pipeline", "knowledge", "build")


@dataclass(frozen=True)
class Import:
    source: str       # the importing module
    target: str       # the module imported (a bot module, or a library's top-level name)
    eager: bool       # runs when the importing module is imported (not inside a function)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = ROOT, package: str = "bot") -> dict[str, Path]:
    """Every module of `package` under `root`, by dotted name."""
    return {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}


class _Imports(ast.NodeVisitor):
    """Every import of one module, each marked eager or deferred (inside a function, or under
    `if TYPE_CHECKING:`)."""

    def __init__(self, name: str, is_package: bool, known: set[str]):
        self.name, self.known, self.depth, self.found = name, known, 0, []
        self.package = name if is_package else name.rpartition(".")[0]

    def _add(self, target: str) -> None:
        self.found.append(Import(self.name, target, self.depth == 0))

    def _deferred(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _deferred

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            self._deferred(node)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            anchor = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
            base = ".".join(anchor + ([node.module] if node.module else []))
        for alias in node.names:  # `from bot.knowledge import index` imports the module bot.knowledge.index
            self._add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in self.known else base)


def imports(root: Path = ROOT, package: str = "bot") -> list[Import]:
    """Every import statement of every module of `package`."""
    found = modules(root, package)
    out = []
    for name, path in found.items():
        visitor = _Imports(name, path.name == "__init__.py", set(found))
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        out += visitor.found
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one that imports itself
    (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(start: str) -> None:
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph.get(node, ()):
                        out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def rank(module: str) -> int:
    """The rank of the package a module belongs to (its longest listed prefix)."""
    owner = max((p for p in RANKS if module == p or module.startswith(p + ".")), key=len)
    return RANKS[owner]


def layer_violations(found: list[Import], known: set[str]) -> list[str]:
    """Imports that point up the ranks, into the test support from outside it, or into tests/ or scripts/."""
    bad = []
    for imp in found:
        if imp.target.split(".")[0] in ("tests", "scripts", "conftest"):
            bad.append(f"{imp.source} imports {imp.target}")
        elif imp.target in known and imp.target.startswith("bot.testing") and not imp.source.startswith("bot.testing"):
            bad.append(f"{imp.source} imports the test support {imp.target}")
        elif imp.target in known and rank(imp.target) > rank(imp.source):
            bad.append(f"{imp.source} imports {imp.target}, a higher layer")
    return bad


def heavy_imports(found: list[Import], known: set[str]) -> list[str]:
    """Eager imports of a build library, or of a build-time module, outside the build-time modules."""
    bad = []
    for imp in found:
        if not imp.eager or imp.source in BUILD_TIME_MODULES or imp.source.startswith("bot.build"):
            continue
        if imp.target.split(".")[0] in BUILD_LIBRARIES:
            bad.append(f"{imp.source} imports {imp.target} when it is imported")
        elif imp.target in known and (imp.target in BUILD_TIME_MODULES or imp.target.startswith("bot.build")):
            bad.append(f"{imp.source} imports the build-time module {imp.target} when it is imported")
    return bad


def _graph(found: list[Import], known: set[str]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in known}
    for imp in found:
        if imp.target in known:
            graph[imp.source].add(imp.target)
    return graph


# ---- the package as it is ---------------------------------------------------------------------

@functools.cache
def _bot() -> tuple[list[Import], frozenset[str]]:
    """The imports and module names of bot/, read once per test process."""
    return imports(), frozenset(modules())


def test_the_import_graph_is_read():
    """The walk finds the imports it must (else every rule below would hold vacuously)."""
    graph = _graph(*_bot())
    assert "bot.pipeline.engine" in graph["bot.adapters.cli"]          # deferred, inside a command
    assert "bot.knowledge.index" in graph["bot.pipeline.resources"]    # `from bot.knowledge import index`
    assert "bot.adapters.cli" in graph["bot.__main__"]
    assert len(graph) > 60 and sum(map(len, graph.values())) > 150


def test_no_import_cycles():
    """Deferred imports count too: a cycle hidden in a function is still a cycle of design."""
    assert cycles(_graph(*_bot())) == []


def test_arrows_point_down():
    """adapters → build → pipeline → knowledge → settings/errors/store; nothing imports tests/ or
    scripts/, and only the test support imports the test support."""
    assert layer_violations(*_bot()) == []


def test_serving_modules_import_no_build_library_at_import_time():
    assert heavy_imports(*_bot()) == []


def test_every_module_opens_with_a_one_line_summary():
    missing = []
    for name, path in modules().items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if not doc or not doc.splitlines()[0].strip():
            missing.append(name)
    assert missing == []


def test_no_module_is_over_300_lines():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


# ---- the README's tree ------------------------------------------------------------------------

_ENTRY = re.compile(r"^(?P<indent> *)(?P<name>[\w.]+/?)(?:\s+(?P<text>.*))?$")
_MENTION = re.compile(r"(?<![\w/.])([A-Za-z_]\w*(?:\.py|/))(?!\w)")


def readme_tree(readme: str) -> str:
    """The ```text block of README's "Development" section that starts with `bot/`."""
    development = readme.split("\n## Development", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```text\n(.*?)```", development, re.S)
    trees = [b for b in blocks if b.startswith("bot/\n")]
    assert trees, "README's Development section has no ```text tree starting with bot/"
    return trees[0]


def tree_paths(tree: str) -> list[str]:
    """Every path the tree names, relative to the project: one per entry (its indentation is its
    depth, two spaces a level), and the modules and folders its text mentions, relative to the
    entry's folder (a package's own, a module's parent)."""
    folders, out = [], []
    for line in tree.splitlines():
        m = _ENTRY.match(line)
        assert m and len(m["indent"]) % 2 == 0, f"not a tree line: {line!r}"
        depth = len(m["indent"]) // 2
        assert depth <= len(folders), f"indented too far: {line!r}"
        folders = folders[:depth]
        path = "/".join([*folders, m["name"].rstrip("/")])
        out.append(path)
        here = path if m["name"].endswith("/") else "/".join(folders)
        if m["name"].endswith("/"):
            folders.append(m["name"].rstrip("/"))
        out += [f"{here}/{name.rstrip('/')}" for name in _MENTION.findall(m["text"] or "")]
    return out


def test_the_readme_tree_names_only_what_exists():
    paths = tree_paths(readme_tree((ROOT / "README.md").read_text(encoding="utf-8")))
    assert paths[0] == "bot"
    assert [p for p in paths if not (ROOT / p).exists()] == []


def test_the_readme_tree_names_every_package_and_every_stage():
    named = set(tree_paths(readme_tree((ROOT / "README.md").read_text(encoding="utf-8"))))
    packages = {p.parent.relative_to(ROOT).as_posix() for p in BOT.rglob("__init__.py")}
    assert sorted(packages - named) == []
    wanted = {p.relative_to(ROOT).as_posix() for folder in NAMED_IN_FULL for p in (BOT / folder).glob("*.py")
              if p.name != "__init__.py"}
    assert sorted(wanted - named) == []


def test_every_bot_path_the_readme_mentions_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"\bbot/[\w/.]*[\w/]", readme))
    assert paths and sorted(p for p in paths if not (ROOT / p).exists()) == []


# ---- the checks can fail ----------------------------------------------------------------------

def test_a_planted_cycle_and_self_import_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_planted_violations_are_found(tmp_path):
    pkg = tmp_path / "bot"
    for folder in ("knowledge", "pipeline", "adapters", "testing"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text('"""A package."""\n')
    (pkg / "__init__.py").write_text('"""The root."""\n')
    (pkg / "knowledge" / "facts.py").write_text('"""Facts."""\nfrom bot.pipeline import engine\n')
    (pkg / "pipeline" / "engine.py").write_text(
        '"""Engine."""\nimport torch\nfrom ..knowledge import facts\n\n\ndef f():\n    import sentence_transformers\n')
    (pkg / "adapters" / "cli.py").write_text('"""CLI."""\nfrom bot.testing import fake\nimport scripts.evaluate\n')
    (pkg / "testing" / "fake.py").write_text('"""Fake."""\n')
    found, known = imports(tmp_path), set(modules(tmp_path))
    assert layer_violations(found, known) == [
        "bot.adapters.cli imports the test support bot.testing.fake", "bot.adapters.cli imports scripts.evaluate",
        "bot.knowledge.facts imports bot.pipeline.engine, a higher layer"]
    assert heavy_imports(found, known) == ["bot.pipeline.engine imports torch when it is imported"]
    assert cycles(_graph(found, known)) == [["bot.knowledge.facts", "bot.pipeline.engine"]]


def test_a_readme_tree_is_read_by_its_indentation():
    tree = "bot/\n  pipeline/    stages (engine.py)\n    decide.py  answer or abstain (parts.py)\n  store.py     x\n"
    assert tree_paths(tree) == ["bot", "bot/pipeline", "bot/pipeline/engine.py", "bot/pipeline/decide.py",
                                "bot/pipeline/parts.py", "bot/store.py"]
