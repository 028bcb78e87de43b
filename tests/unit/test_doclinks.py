"""Suite documentation links that survive log.html being attached to a ticket (issue 16, path 8)."""
from __future__ import annotations

from CpusetLibrary.doclinks import portable_documentation, web_url

DOC = "Intro. Details: [../docs/procedures/relocate-cpu.md|the procedure's page].\n\nMore."


def test_git_remotes_become_web_addresses():
    assert web_url("git@github.com:qa/nri-cpuset-acceptance.git") == "https://github.com/qa/nri-cpuset-acceptance"
    assert web_url("https://user@gitlab.example.org/qa/acc.git") == "https://gitlab.example.org/qa/acc"
    assert web_url("https://github.com/qa/acc/") == "https://github.com/qa/acc"
    assert web_url("/srv/git/acc.git") == ""


def test_links_point_at_the_tested_commit_of_the_repository():
    doc = portable_documentation(DOC, "https://github.com/qa/acc", "abc123")
    assert "[https://github.com/qa/acc/blob/abc123/docs/procedures/relocate-cpu.md|the procedure's page]" in doc
    assert "../docs" not in doc


def test_without_a_repository_the_page_is_carried_in_the_documentation():
    doc = portable_documentation(DOC, "", "")
    assert "../docs" not in doc and "``docs/procedures/relocate-cpu.md`` in the repository, below" in doc
    assert "\n== " in doc  # the page's sections, as robot headings
    assert "= Relocate" in doc  # the page's title, as a robot heading


def test_documentation_without_a_relative_link_is_unchanged():
    assert portable_documentation("No link here.", "", "") == "No link here."
