"""The course website: built once per session from the stored outputs, then read back as HTML."""
import html
import json
import re
from pathlib import Path

import pytest

from minprune import glossary
from minprune.__main__ import main
from minprune.course import course_files
from minprune.site import _anchors, _first_sentence, build_site, check_site, heading_slug

# Sphinx's own deprecation notices about its extensions' API are not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning",
                                        "ignore::PendingDeprecationWarning")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "html"
    before = _repo_state()
    assert main(["site", str(out)]) == 0          # the command the README names
    assert _repo_state() == before, "the build wrote into the repository"
    return out


def _repo_state():
    """Names and sizes of the files of the course folders (the build must only read them)."""
    return sorted((str(p), p.stat().st_size) for d in ("notebooks", "glossary")
                  for p in (REPO / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_every_internal_link_and_anchor_resolves(site):
    check = check_site(site)
    assert check.problems == []
    assert check.links > 1000 and check.anchors > 100    # the check really read the pages


def test_every_notebook_and_term_has_its_page(site):
    notebooks = [rel for rel in course_files() if rel.endswith(".ipynb")]
    assert len(notebooks) >= 20
    for rel in notebooks:
        page = site / rel.replace(".ipynb", ".html")
        assert page.is_file(), rel
        assert re.search(r'href="[./]*_downloads/\w+/' + re.escape(Path(rel).name),
                         page.read_text(encoding="utf-8")), f"{rel}: no download link"
        download = next((site / "_downloads").rglob(Path(rel).name))
        assert download.read_bytes() == (REPO / rel).read_bytes()     # the original file
    index = (site / "glossary" / "index.html").read_text(encoding="utf-8")
    for entry in glossary.entries():
        assert (site / "glossary" / "terms" / f"{entry.slug}.html").is_file(), entry.term
    terms = set(re.findall(r'<dt id="(term-[^"]+)"', index))
    assert len(terms) >= sum(len(e.names) for e in glossary.entries())
    for page in ("notebooks/README.html", "glossary/faq.html", "glossary/history.html", "package.html"):
        assert (site / page).is_file(), page
    assert "Measured figures" in (site / "package.html").read_text(encoding="utf-8")


def test_glossary_links_carry_a_hover_card(site):
    faq = (site / "glossary" / "faq.html").read_text(encoding="utf-8")
    cards = re.findall(r'<a class="[^"]*minprune-term[^"]*"[^>]*title="([^"]+)"', faq)
    assert len(cards) > 20
    summaries = {e.summary for e in glossary.entries()}
    cards = [html.unescape(c) for c in cards]
    assert set(cards) <= summaries and len(set(cards)) > 5
    assert (site / "_static" / "minprune.js").is_file()


def test_no_raw_role_and_every_figure_described(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "{term}`" not in text and "{glossary}" not in text, page
    notebook = (site / "notebooks" / "00_what_is_pruning.html").read_text(encoding="utf-8")
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', notebook)
    assert len(alts) >= 4 and all(len(a) > 20 for a in alts)


def test_widgets_show_their_stored_picture_or_say_what_they_are(site):
    for rel in course_files():
        if not rel.endswith(".ipynb"):
            continue
        nb = json.loads((REPO / rel).read_text(encoding="utf-8"))
        views = [o for c in nb["cells"] for o in c.get("outputs", [])
                 if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        page = (site / rel.replace(".ipynb", ".html")).read_text(encoding="utf-8")
        with_picture = sum("image/png" in o["data"] for o in views)
        # a stored first picture is shown as an image with alt text; a widget without one as a note
        assert page.count("First state of an interactive widget") >= with_picture, rel
        assert page.count("an interactive widget: run the notebook") >= len(views) - with_picture, rel


def test_anchors_accept_jupyter_and_github_forms(tmp_path):
    page = tmp_path / "p.md"
    page.write_text('# T\n\n<a id="x-y"></a>\n## Size, FLOPs and latency?\n\n```\n# not a heading\n```\n')
    found = _anchors(page)
    assert found["Size,-FLOPs-and-latency?"] == "size-flops-and-latency"
    assert found["x-y"] == "size-flops-and-latency" == heading_slug("Size, FLOPs and latency?")
    assert "not-a-heading" not in found
    assert _first_sentence("**Cell 2: look.** Each [line](a.md) is `one` weight.") == "Cell 2: look. Each line is one weight."


def test_a_failed_copy_keeps_the_previous_site(tmp_path, monkeypatch):
    from minprune import site as site_module

    build = tmp_path / "html"
    (build / "sub").mkdir(parents=True)
    (build / "index.html").write_text("new")
    out = tmp_path / "site"
    out.mkdir()
    (out / ".minprune-site").write_text("built by python -m minprune site\n")
    (out / "index.html").write_text("previous")

    def broken(src, dst, **kwargs):
        Path(dst, "index.html").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(site_module.shutil, "copytree", broken)
    with pytest.raises(OSError, match="disk full"):
        site_module._install(build, out)
    assert (out / "index.html").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["html", "site"]   # nothing left over
    monkeypatch.undo()
    site_module._install(build, out)                                   # and a good copy replaces it
    assert (out / "index.html").read_text() == "new" and (out / ".minprune-site").is_file()
    assert (out / "sub").is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["html", "site"]


def test_site_refuses_a_folder_it_did_not_build(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="did not build"):
        build_site(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
