"""Tests for the glossary: the Markdown entries, the FAQ, and ``minprune.glossary``.

Content checks (sections, citations, cross-links, FAQ links, originality against the
dictionary entry the glossary answers) run over whatever files exist, so the same
tests keep guarding the notebooks as they are added.
"""
import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest

from minprune import glossary as g

REPO = Path(__file__).resolve().parent.parent
GLOSSARY = REPO / "glossary"
NOTEBOOKS = REPO / "notebooks"
SEED_DIR = REPO.parent / "shared" / "seed"

ENTRY_FILES = sorted((GLOSSARY / "terms").glob("*.md"))
MD_FILES = sorted(GLOSSARY.rglob("*.md"))
NOTEBOOK_FILES = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)

REQUIRED_TERMS = [
    "pruning", "weight pruning", "neuron pruning", "structured pruning", "N:M sparsity",
    "sparsity", "mask", "importance score", "magnitude pruning", "global vs layer-wise pruning",
    "fine-tuning", "iterative pruning", "gradual pruning schedule", "lottery ticket",
    "layer collapse", "sensitivity analysis", "FLOPs", "model compression", "quantization",
    "knowledge distillation", "edge AI",
]

# (question, notebook, heading of the demonstrating section), as agreed with the notebooks.
FAQ_TARGETS = [
    ("What is pruning in AI?", "00_what_is_pruning.ipynb", "Pruning in five cells"),
    ("Why is pruning important in AI?", "05_structured_pruning_and_speed.ipynb",
     "Size, FLOPs and measured latency"),
    ("How does pruning work?", "03_which_weights_matter.ipynb",
     "Criteria against the exact oracle"),
    ("What types of pruning exist?", "05_structured_pruning_and_speed.ipynb",
     "Weight, neuron and structured pruning compared"),
    ("Does pruning affect model accuracy?", "02_weight_pruning.ipynb", "Accuracy against sparsity"),
    ("Where is pruning commonly applied?", "05_structured_pruning_and_speed.ipynb",
     "When sparsity makes a model faster"),
    ("What are the challenges in pruning?", "03_which_weights_matter.ipynb", "Why choosing is hard"),
    ("How does pruning benefit mobile AI?", "05_structured_pruning_and_speed.ipynb",
     "Memory and latency of the shrunken model"),
    ("Is pruning used in all AI models?", "08_when_not_to_prune.ipynb",
     "Small networks versus large networks"),
    ("Can pruning be reversed?", "06_fine_tuning_and_schedules.ipynb", "Can pruning be reversed?"),
]
FAQ_NOTEBOOK = "09_faq_by_experiment.ipynb"


def _id(path):
    return str(path.relative_to(REPO))


def _all_names():
    return {name.lower() for e in g.entries() for name in e.names}


def _faq_links():
    return [(item.question, kind, link) for item in g.faq()
            for kind, link in (("experiment", item.experiment), ("compact", item.compact))]


# ------------------------------------------------------------------ entries


def test_required_terms_exist():
    for term in REQUIRED_TERMS:
        assert g.lookup(term).term == term
    assert len(ENTRY_FILES) == len(g.entries()) >= len(REQUIRED_TERMS)


@pytest.mark.parametrize("path", ENTRY_FILES, ids=_id)
def test_entry_has_every_section(path):
    entry = g.parse_entry(path.read_text(encoding="utf-8"), path)
    assert path.stem == entry.slug
    assert entry.summary and "\n" not in entry.summary
    for attr, heading in g.SECTIONS:
        if attr == "references":
            assert entry.references, f"{path.name}: no references"
        else:
            assert getattr(entry, attr).strip(), f"{path.name}: section {heading!r} is empty"
    assert entry.related, f"{path.name}: 'Related terms' links no term"


@pytest.mark.parametrize("path", ENTRY_FILES, ids=_id)
def test_entry_round_trips(path):
    text = path.read_text(encoding="utf-8")
    entry = g.parse_entry(text, path)
    rendered = g.render_entry(entry)
    assert g.parse_entry(rendered) == entry
    assert rendered == text, f"{path.name} is not in canonical form; rewrite it with render_entry"


def test_faq_round_trips():
    path = GLOSSARY / "faq.md"
    text = path.read_text(encoding="utf-8")
    parsed = g.parse_faq(text, path)
    assert g.parse_faq(g.render_faq(parsed)) == parsed
    assert g.render_faq(parsed) == text


def test_index_is_generated_from_entries():
    assert (GLOSSARY / "index.md").read_text(encoding="utf-8") == g.render_index(), \
        "glossary/index.md is stale: regenerate it with minprune.glossary.render_index()"


def test_index_glossary_lists_every_term_and_alias():
    text = (GLOSSARY / "index.md").read_text(encoding="utf-8")
    block = re.search(r"```\{glossary\}\n(.*?)\n```", text, flags=re.S).group(1)
    listed = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith((" ", ":"))]
    assert sorted(listed, key=str.lower) == sorted((n for e in g.entries() for n in e.names),
                                                   key=str.lower)
    assert len({n.lower() for n in listed}) == len(listed), "duplicate glossary terms"


def test_names_are_unique_across_entries():
    seen = {}
    for e in g.entries():
        for name in set(map(g.normalize, e.names)):
            assert name not in seen, f"{name!r} names both {seen[name]!r} and {e.term!r}"
            seen[name] = e.term


def test_related_terms_point_to_other_entries():
    names = _all_names()
    for e in g.entries():
        for target in e.related:
            assert target.lower() in names, f"{e.term}: related term {target!r} does not exist"
            assert g.lookup(target) is not e, f"{e.term} lists itself as related"


def _role_sources():
    for path in MD_FILES:
        yield _id(path), path.read_text(encoding="utf-8")
    for path in NOTEBOOK_FILES:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") == "markdown":
                src = cell.get("source", "")
                yield f"{_id(path)} cell {i}", "".join(src) if isinstance(src, list) else src


def test_every_term_role_resolves():
    names = _all_names()
    bad = [f"{where}: {{term}}`{shown}` -> {target!r}"
           for where, text in _role_sources()
           for shown, target in g.term_roles(text) if target.lower() not in names]
    assert not bad, "unresolved {term} roles:\n" + "\n".join(bad)


# ------------------------------------------------------------------ citations

_INITIALS = re.compile(r"^[A-Z][a-z]?\.(?:[ -]?[A-Z][a-z]?\.)*(?: \(Eds?\.\))?$")
# "Han et al., 2015", "Frankle & Carbin (2019)", "LeCun, Denker & Solla, 1990", "Reed (1993)"
_NAME = r"[A-Z][\w'\-]*"
_CITATION = re.compile(
    rf"(?P<names>{_NAME}(?: et al\.| & {_NAME}|(?:, {_NAME})+ & {_NAME})?)"
    r"(?:, (?P<y1>(?:19|20)\d\d)\b|'s? \((?P<y3>(?:19|20)\d\d)\)| \((?P<y2>(?:19|20)\d\d)\))")


def _surnames(ref):
    """Surnames of a reference's authors: 'Surname, I., & Surname, I.', where a long list may
    end in ', et al.' after its first authors, and an organisation is one name ('Meta')."""
    authors = ref.authors.removesuffix(", et al.")
    if ", " not in authors and " & " not in authors and "." not in authors:
        return [authors]
    parts = authors.split(", ")
    assert len(parts) % 2 == 0, f"authors must read 'Surname, I., & Surname, I.': {ref.authors!r}"
    for initials in parts[1::2]:
        assert _INITIALS.match(initials), f"bad initials {initials!r} in {ref.authors!r}"
    return [s.removeprefix("& ") for s in parts[0::2]]


def _cites(names, ref):
    surnames = _surnames(ref)
    if names.endswith(" et al."):
        return len(surnames) >= 3 and surnames[0] == names[:-len(" et al.")]
    cited = [n.strip() for n in re.split(r", | & ", names)]
    cited[-1] = re.sub(r"'s?$", "", cited[-1])
    return surnames == cited


def _documents():
    """(path, prose without the reference list, references) for every cited document."""
    for path in MD_FILES:
        if path.name == "index.md":
            continue
        text = path.read_text(encoding="utf-8")
        prose, _, refs = text.partition("\n## References\n")
        yield path, prose, [g.parse_reference(ln) for ln in refs.splitlines() if ln.strip()]


@pytest.mark.parametrize("path", [p for p in MD_FILES if p.name != "index.md"], ids=_id)
def test_citations_have_authors_year_and_venue(path):
    docs = {p: refs for p, _, refs in _documents()}
    refs = docs[path]
    assert refs, f"{path.name} has no '## References' list"
    for ref in refs:
        assert _surnames(ref) and all(_surnames(ref)), ref.text
        assert 1900 <= ref.year <= 2025, ref.text
        assert ref.title and ref.venue, ref.text
    texts = [r.text for r in refs]
    assert texts == sorted(texts, key=str.casefold), f"{path.name}: sort the references"
    assert len(set(texts)) == len(texts), f"{path.name}: duplicate reference"


@pytest.mark.parametrize("path", [p for p in MD_FILES if p.name != "index.md"], ids=_id)
def test_in_text_citations_match_the_reference_list(path):
    _, prose, refs = next(d for d in _documents() if d[0] == path)
    found = [(m["names"], int(m["y1"] or m["y2"] or m["y3"])) for m in _CITATION.finditer(prose)]
    assert found, f"{path.name} cites nothing in its text"
    unmatched = [f"{n} ({y})" for n, y in found
                 if not any(r.year == y and _cites(n, r) for r in refs)]
    assert not unmatched, f"{path.name}: citations missing from its references: {unmatched}"
    uncited = [r.text for r in refs
               if not any(r.year == y and _cites(n, r) for n, y in found)]
    assert not uncited, f"{path.name}: references never cited in its text: {uncited}"


# ------------------------------------------------------------------ FAQ


def test_faq_has_the_ten_questions_with_agreed_targets():
    items = list(g.faq())
    assert [i.question for i in items] == [q for q, _, _ in FAQ_TARGETS]
    for item, (question, notebook, heading) in zip(items, FAQ_TARGETS):
        assert item.experiment.href == f"../notebooks/{notebook}#{g.anchor(heading)}"
        assert item.experiment.text == heading
        assert item.compact.href == f"../notebooks/{FAQ_NOTEBOOK}#{g.anchor(question)}"
        assert item.compact.text == question
        assert item.experiment.notebook == f"notebooks/{notebook}"
        assert "**Where the entry falls short.**" in item.answer
        assert item.answer.count("\n\n") >= 1


def test_anchor_is_a_stable_slug():
    assert g.anchor("Size, FLOPs and measured latency") == "size-flops-and-measured-latency"
    assert g.anchor("Can pruning be reversed?") == "can-pruning-be-reversed"


@pytest.mark.parametrize("question,kind,link", _faq_links(),
                         ids=[f"{q}-{k}" for q, k, _ in _faq_links()])
def test_faq_link_points_to_existing_notebook_heading(question, kind, link):
    notebook = REPO / link.notebook
    assert notebook.is_file(), f"{question!r} ({kind}) links to missing {link.notebook}"
    # An explicit <a id> right before the heading: every renderer keeps it (each one makes its
    # own heading ids otherwise, and they disagree).
    anchors = g.notebook_anchors(notebook)
    assert link.anchor in anchors, \
        f"{link.notebook} has no <a id={link.anchor!r}> anchor (heading {link.text!r})"
    assert anchors[link.anchor] == link.text, \
        f"{link.notebook}: anchor {link.anchor!r} marks {anchors[link.anchor]!r}, not {link.text!r}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOK_FILES if p.parent == NOTEBOOKS], ids=_id)
def test_every_notebook_section_has_its_stable_anchor(path):
    anchors = g.notebook_anchors(path)
    headings = [h for h in g.notebook_headings(path)]
    missing = [h for h in headings[1:] if g.anchor(h) not in anchors and
               not any(a.startswith(g.anchor(h) + "-") for a in anchors)]
    assert not missing, f"{path.name}: headings without an <a id> anchor: {missing}"


def test_faq_renders_as_text_and_html():
    the_faq = g.faq()
    text, html_ = str(the_faq), the_faq._repr_html_()
    for item in the_faq:
        assert item.question in text
        assert item.experiment.anchor in text and item.compact.anchor in text
        assert item.experiment.href.replace("&", "&amp;") in html_
    assert repr(the_faq) == text and " at 0x" not in text
    one = g.faq(10)
    assert one is g.faq("Can pruning be reversed?") is g.faq("be reversed")
    assert "Rewinding" in str(one) and "<h4" in one._repr_html_()
    with pytest.raises(g.UnknownTermError):
        g.faq(11)
    with pytest.raises(LookupError, match="did you mean"):
        g.faq("pruning")  # matches several questions


# ------------------------------------------------------------------ the API


class _Printer:
    def __init__(self):
        self.out = []

    def text(self, s):
        self.out.append(s)


@pytest.mark.parametrize("term", [e.term for e in g.entries()] if ENTRY_FILES else [])
def test_show_renders_every_term(term):
    card = g.show(term)
    entry = g.lookup(term)
    text = str(card)
    assert text.startswith(entry.title + "\n" + "=" * len(entry.title))
    assert "Definition" in text and "Explained simply" in text
    assert "{term}" not in text and " at 0x" not in text
    assert repr(card) == text == str(g.show(term.upper()))
    printer = _Printer()
    card._repr_pretty_(printer, cycle=False)
    assert printer.out == [text]
    html_ = card._repr_html_()
    assert html_.startswith('<div class="minprune-card"') and html_.endswith("</div>")
    assert entry.title.replace("&", "&amp;") in html_
    assert "{term}" not in html_ and "<script" not in html_
    assert len(re.findall(r"<p[ >]", html_)) == html_.count("</p>")


def test_lookup_accepts_aliases_case_and_hyphens():
    assert g.lookup("SALIENCY").term == "importance score"
    assert g.entry("2:4 sparsity").term == "N:M sparsity"
    assert g.lookup("LTH").term == g.lookup("lottery ticket hypothesis").term == "lottery ticket"
    assert g.lookup("Unstructured Pruning").term == "weight pruning"
    assert g.lookup("  fine tuning ").term == "fine-tuning"
    assert g.lookup("layer_wise-pruning").term == "global vs layer-wise pruning"
    assert g.lookup("flops") is g.lookup("FLOPs")
    assert g.terms() == tuple(sorted(g.terms(), key=str.lower))


def test_unknown_term_suggests_close_matches():
    with pytest.raises(g.UnknownTermError) as info:
        g.lookup("prunning")
    err = info.value
    assert isinstance(err, KeyError) and isinstance(err, LookupError)
    assert "'prunning'" in str(err) and "'pruning'" in str(err) and "did you mean" in str(err)
    assert "pruning" in err.suggestions and err.term == "prunning"
    with pytest.raises(LookupError, match="lottery ticket"):
        g.show("lottery")
    with pytest.raises(KeyError, match="no close match"):
        g.lookup("xylophone")
    with pytest.raises(TypeError):
        g.lookup(3)


def test_entries_are_frozen():
    e = g.lookup("mask")
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.term = "other"


def test_parse_errors_are_clear():
    text = (GLOSSARY / "terms" / "mask.md").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="sections must be exactly"):
        g.parse_entry(text.replace("## Etymology\n", "## Word history\n"))
    with pytest.raises(ValueError, match="title must be 'Mask'"):
        g.parse_entry(text.replace("# Mask\n", "# Masks\n"))
    with pytest.raises(ValueError, match="metadata"):
        g.parse_entry(text.split("---\n", 2)[2])
    with pytest.raises(ValueError, match="Authors \\(Year\\)"):
        g.parse_reference("- Somebody. A paper without a year. *Venue*.")


def test_missing_glossary_folder_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(g, "__file__", str(tmp_path / "minprune" / "glossary.py"))
    with pytest.raises(g.GlossaryNotFoundError, match="reinstall minprune"):
        g._glossary_dir()


def test_module_imports_only_the_standard_library():
    tree = ast.parse(Path(g.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "difflib", "functools", "html", "json", "re", "textwrap",
                        "dataclasses", "pathlib", "numpy"}, imported


def test_term_roles_and_notebook_helpers(tmp_path):
    assert g.term_roles("see {term}`mask` and {term}`the masks <mask>`.") == [
        ("mask", "mask"), ("the masks", "mask")]
    nb = {"cells": [
        {"cell_type": "markdown", "source": ["# Title\n", "text\n", "## Size, FLOPs and x\n"]},
        {"cell_type": "code", "source": "# not a heading\nx = 1"},
        {"cell_type": "markdown", "source": "```\n# in a fence\n```\n### Can it? ###"},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert g.notebook_headings(path) == ["Title", "Size, FLOPs and x", "Can it?"]
    assert "x = 1" in g.notebook_text(path)
    nb["cells"][0]["source"] = ["# Title\n", '<a id="size-flops-and-x"></a>\n', "## Size, FLOPs and x\n",
                                '<a id="bare"></a>']
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert g.notebook_anchors(path) == {"size-flops-and-x": "Size, FLOPs and x", "bare": ""}


# ------------------------------------------------------------------ originality


def test_shared_runs():
    source = "Pruning is a process to remove the parts of a network that matter least."
    copied = "Note that pruning is a process to remove the parts of a network, they say."
    assert g.shared_runs(copied, source) == [
        "pruning is a process to remove the parts", "is a process to remove the parts of",
        "a process to remove the parts of a", "process to remove the parts of a network"]
    assert g.shared_runs("Pruning removes the parts that matter least.", source) == []
    assert g.shared_runs("It\u2019s a b c", "it's a b c", n=4) == ["it's a b c"]
    with pytest.raises(ValueError):
        g.shared_runs("a", "a", n=0)


def _seed_text():
    files = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
    if not files:
        pytest.skip(f"dictionary seed not found at {SEED_DIR}; originality not checked")
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


_ORIGINAL = MD_FILES + NOTEBOOK_FILES + [p for p in [REPO / "README.md"] if p.is_file()]


@pytest.mark.parametrize("path", _ORIGINAL, ids=_id)
def test_no_eight_word_run_shared_with_the_seed(path):
    seed = _seed_text()
    text = g.notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    runs = g.shared_runs(text, seed, n=8)
    assert not runs, f"{_id(path)} repeats the dictionary entry word for word: {runs}"
