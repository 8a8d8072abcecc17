"""The package's shape is its architecture: imports follow the flow, and only the Streamlit
layer imports streamlit. See ARCHITECTURE.md."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lagesbild"

# The stages in the order data flows through them. A module may import from its own stage and
# from stages before it, never from a later one.
STAGES = ["base", "geo", "intake", "store", "analysis", "release", "present", "views", "cli"]
BASE = {"__init__", "config", "errors", "fmt", "codes", "logs", "access", "pnr"}
# present draws what release has protected: it may take nothing from the stages that hold or
# compute unprotected counts.
PRESENT_MAY_USE = {"base", "release", "present"}
MAX_LINES = 400


def _stage(module: str) -> str:
    """'lagesbild.analysis.areas' -> 'analysis'; 'lagesbild.fmt' -> 'base';
    'lagesbild.cli.read' -> 'cli'."""
    parts = module.split(".")
    assert parts[0] == "lagesbild", module
    if len(parts) == 1 or parts[1] in BASE:
        return "base"
    if parts[1] in ("cli", "__main__"):
        return "cli"
    return parts[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1] if len(parts) > 2 else parts
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    """Every module *path* imports, at any depth (lazy imports inside functions count)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            # "from lagesbild import fmt" imports the module lagesbild.fmt
            if node.module.split(".")[0] == "lagesbild":
                found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


DOMAIN_FILES = _python_files(PACKAGE)


def test_stages_are_subpackages_in_flow_order():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(STAGES) - {"base"}


@pytest.mark.parametrize("module, stage", [
    ("lagesbild.cli", "cli"), ("lagesbild.cli.read", "cli"), ("lagesbild.cli.parser", "cli"),
    ("lagesbild.__main__", "cli"), ("lagesbild.fmt", "base"), ("lagesbild.views.source", "views"),
])
def test_the_command_line_package_is_the_last_stage(module, stage):
    assert _stage(module) == stage


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_point_back_up_the_flow(path):
    here = _module_name(path)
    stage = _stage(here)
    wrong = []
    for imported in _imports(path):
        top = imported.split(".")[0]
        if top in ("streamlit", "webapp", "app_pages"):
            wrong.append(f"{imported}: the domain never imports the Streamlit layer")
            continue
        if top == "tools":
            if stage != "cli":
                wrong.append(f"{imported}: only the command line starts the tools")
            continue
        if top != "lagesbild" or imported == "lagesbild":
            continue
        other = _stage(imported)
        if STAGES.index(other) > STAGES.index(stage):
            wrong.append(f"{imported}: {stage} may not import from the later stage {other}")
        if stage == "present" and other not in PRESENT_MAY_USE:
            wrong.append(f"{imported}: present takes its numbers from release only")
    assert not wrong, f"{here}: " + "; ".join(wrong)


@pytest.mark.parametrize("folder", ["lagesbild", "tools"])
def test_nothing_outside_the_streamlit_layer_imports_streamlit(folder):
    offenders = [str(p.relative_to(ROOT)) for p in _python_files(ROOT / folder)
                 if any(i.split(".")[0] == "streamlit" for i in _imports(p))]
    assert offenders == []


def test_pages_are_thin():
    for page in (ROOT / "app_pages").glob("*.py"):
        code = [line for line in page.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith(("#", '"""'))]
        assert len(code) <= 12, f"{page.name} holds {len(code)} lines: move them to webapp/"


# What the Streamlit layer may take from the domain: the views (one door per room) and the
# modules beside the flow. Everything a page shows or writes goes through lagesbild.views.
WEBAPP_MAY_USE = {"views", "config", "access", "fmt", "errors", "codes", "logs", "pnr"}


def _past_the_views(path: Path) -> list[str]:
    """What *path* imports from the domain past the views (lazy imports count too)."""
    return sorted({i for i in _imports(path) if i.split(".")[0] == "lagesbild"
                   and i != "lagesbild" and i.split(".")[1] not in WEBAPP_MAY_USE})


def test_webapp_asks_views_only():
    """A page asks ``views`` for what it shows (and writes through functions a views module
    offers): ``webapp/`` never imports store, analysis, present, intake, release or geo."""
    layer = [*_python_files(ROOT / "webapp"), *_python_files(ROOT / "app_pages"),
             ROOT / "app.py"]
    offenders = {p.name: wrong for p in layer if (wrong := _past_the_views(p))}
    assert not offenders, (f"the Streamlit layer imports past lagesbild.views: {offenders}; "
                           "offer what the page needs in a views module")


def test_the_webapp_rule_catches_a_page_that_reaches_past_the_views(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("def f():\n    from lagesbild.store import process\n", encoding="utf-8")
    assert _past_the_views(page) == ["lagesbild.store", "lagesbild.store.process"]

@pytest.mark.parametrize("folder", ["lagesbild", "webapp", "tools"])
def test_a_long_module_says_why_at_its_top(folder):
    for path in _python_files(ROOT / folder):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES:
            doc = ast.get_docstring(ast.parse(text)) or ""
            assert "Long because" in doc, (
                f"{path.relative_to(ROOT)} has over {MAX_LINES} lines: split it, or say at its "
                "top why it is one module ('Long because …')")


def test_architecture_names_every_package_that_exists():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for package in [p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]:
        assert f"lagesbild/{package.name}/" in text, package.name
    for folder in ("webapp/", "tools/", "app_pages/"):
        assert folder in text
