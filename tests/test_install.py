"""The built wheel, installed as a new user would (issue 27): a fresh venv made by this Python
with the pip it bundles, not upgraded, and ``pip install infoscope-*.whl`` (not editable).
Then the installed commands run from outside the source tree: ``infoscope formats``, a
fixture of every registered format through ``infoscope ingest``, ``infoscope articles
ingest`` of an HTML page, ``infoscope doctor`` (every component, including the package data:
models, templates, aliases, format samples) and ``infoscope demo --posts 2000``.

Marked ``wheel`` and left out of a plain ``pytest`` run (it takes a few minutes, most of them
installing the dependencies): ``make test`` runs it after the suite, ``pytest -m wheel`` alone.
The bundled setuptools is removed first, as in the venvs of Python 3.12+ and pipx. The venv
is built once per run; to try a venv you already have (say, one where a dependency
was removed on purpose), set ``INFOSCOPE_WHEEL_VENV`` to its folder: the wheel is then
installed into it without its dependencies.
"""

from __future__ import annotations

import ensurepip
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infoscope.ingest import registered_formats
from tests.conftest import FIXTURES

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT = 1200  # seconds: the dependencies are large (spaCy, natasha, the encoder)

# One fixture per registered format, all detected from their markers in one ingest, except
# the two generic formats, which are never detected and need --map.
DETECTED = {
    "twitter-v1": "twitter/v1_statuses.jsonl",
    "twitter-v2": "twitter/v2_pages.jsonl",
    "twarc-csv": "twitter/twarc.csv",
    "ira-538": "ira_538/IRAhandle_tweets_1.csv",
    "ira-by-author": "ira_by_author/alice_w.csv",
    "ira-authors": "ira_by_author/authors.csv",
    "io-archive": "io_archive/example_022019_tweets_csv_hashed.csv",
    "telegram": "telegram/result.json",
    "html-article": "articles/news_page.html",
    "html-aggregator": "articles/aggregator.html",
    "text-article": "articles/article999000001.txt",
    "rss-feed": "articles/feed.rss",
    "crowdflower-tweets": "crowdflower/airline_sample.csv",
    "twitter-users-csv": "twitter_users/users.csv",
    "coortweet": "coortweet/shares.csv",
    "botrepo-profiles": "botrepo/sample_profiles.json",
    "botrepo-labels": "botrepo/sample.tsv",
    "youtube-comments": "youtube/comment_threads.jsonl",
    "vk": "vk/wall_comments.jsonl",
    "tiktok-research": "tiktok/research_videos.jsonl",
    "4cat-ndjson": "fourcat/zeeschuimer.ndjson",
    "bluesky-jetstream": "bluesky/jetstream.jsonl",
    "bluesky-repo": "bluesky/listrecords.json",
    "bluesky-car": "bluesky/repo.car",
    "bluesky-api": "bluesky/api_views.jsonl",
    "mastodon": "mastodon/statuses.json",
    "telethon": "telethon/messages.jsonl",
    "shares": "shares/election_long.csv",
}
GENERIC = {
    "generic-csv": (
        "generic/posts_semicolon.csv",
        ["--delimiter", ";", "--map", "id=msg_id,text=body,author=user,created_at=time"],
    ),
    "generic-jsonl": (
        "generic/posts.jsonl",
        ["--map", "id=id_str,text=full_text,author=user.screen_name,created_at=created_at"],
    ),
}


@dataclass
class Installed:
    """The venv the wheel is installed in, the wheel, the sources it was built from and a
    work folder outside them."""

    venv: Path
    wheel: Path
    sources: Path
    work: Path

    def run(self, *args: str, timeout: int = 600, check: bool = True) -> Any:
        """Run a program of the venv (``infoscope``, ``python``, ``pip``) in the work folder,
        outside the source tree, so that only the installed package can be imported."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["INFOSCOPE_STORE"] = str(self.work / "smoke.duckdb")
        done = subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str, timeout: int = 600) -> Any:
        return json.loads(self.run(*args, timeout=timeout).stdout)


def _pip(python: Path, args: Sequence[str], cwd: Path, timeout: int) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, f"pip {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    reuse = os.environ.get("INFOSCOPE_WHEEL_VENV")
    venv = Path(reuse) if reuse else base / "venv"
    python = venv / "bin" / "python"
    if not reuse:
        # This Python's venv module with its bundled pip (ensurepip), as `python3 -m venv`.
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        # Python 3.12+ and pipx make venvs without setuptools: what infoscope needs of it
        # (pkg_resources, for natasha) must come from its own requirements.
        _pip(python, ["uninstall", "--yes", "setuptools"], base, 300)
    # The wheel, built from a copy of the sources so that no build/ folder is left behind.
    tree = base / "src-copy"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "src", tree / "src", ignore=ignore)
    _pip(python, ["wheel", "--no-deps", "--wheel-dir", str(base / "dist"), str(tree)], base, 600)
    (wheel,) = (base / "dist").glob("infoscope-*.whl")
    install = ["install", "--no-deps", "--force-reinstall"] if reuse else ["install"]
    _pip(python, [*install, str(wheel)], base, INSTALL_TIMEOUT)
    work = base / "work"
    work.mkdir()
    return Installed(venv, wheel, tree / "src" / "infoscope", work)


def test_the_venv_has_this_pythons_bundled_pip(installed: Installed) -> None:
    if os.environ.get("INFOSCOPE_WHEEL_VENV"):
        pytest.skip("INFOSCOPE_WHEEL_VENV: a venv given, not made here")
    version = installed.run("pip", "--version").stdout.split()[1]
    assert version == ensurepip.version()


def test_pip_finds_no_broken_requirement(installed: Installed) -> None:
    assert "No broken requirements" in installed.run("pip", "check").stdout


def test_the_wheel_holds_every_file_of_the_package(installed: Installed) -> None:
    # Package data included: models, templates, aliases, word lists, the doctor's samples.
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    source = {
        "infoscope/" + p.relative_to(installed.sources).as_posix()
        for p in installed.sources.rglob("*")
        if p.is_file()
    }
    assert source - names == set()
    assert {"infoscope/authenticity/model/profile-model.json", "infoscope/py.typed"} <= names


def test_every_module_of_the_installed_package_imports(installed: Installed) -> None:
    code = (
        "import importlib, pkgutil, infoscope\n"
        "names = [m.name for m in pkgutil.walk_packages(infoscope.__path__, 'infoscope.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(infoscope.__file__, len(names))\n"
    )
    path, count = installed.run("python", "-c", code).stdout.split()
    assert Path(path).is_relative_to(installed.venv)  # the installed copy, not the sources
    assert int(count) > 100


def test_formats_lists_every_registered_format(installed: Installed) -> None:
    listed = {row["name"] for row in installed.json("infoscope", "formats", "--json")}
    assert listed == set(registered_formats())
    assert set(DETECTED) | set(GENERIC) == listed  # a new format brings a fixture here


def test_a_fixture_of_every_format_ingests(installed: Installed) -> None:
    store = str(installed.work / "formats.duckdb")
    files = [str(FIXTURES / path) for path in DETECTED.values()]
    summary = installed.json("infoscope", "ingest", *files, "--store", store, "--json", "-q")
    assert summary.get("failed_files", []) == []
    assert set(summary["formats"]) == set(DETECTED)
    assert summary["posts"] > 0 and summary["accounts"] > 0 and summary["articles"] > 0
    for name, (path, options) in GENERIC.items():
        args = [str(FIXTURES / path), "--format", name, *options, "--store", store]
        done = installed.run("infoscope", "ingest", *args, "--json", "-q", check=False)
        summary = json.loads(done.stdout)
        assert summary["formats"] == {name: 1} and summary["posts"] > 0, summary
        # generic/posts.jsonl holds 4 malformed lines of 7 on purpose: a run that quarantines
        # more than half of what it read exits 1 after its summary.
        mostly_bad = summary["quarantined"] * 2 > summary["records"]
        assert done.returncode == (1 if mostly_bad else 0), done.stderr


def test_articles_ingest_of_an_html_page(installed: Installed) -> None:
    page = str(FIXTURES / "articles" / "news_page.html")
    store = str(installed.work / "articles.duckdb")
    data = installed.json("infoscope", "articles", "ingest", page, "--store", store, "--json")
    assert data["articles"] == 1 and data["quarantined"] == 0


def test_doctor_finds_every_component_working(installed: Installed) -> None:
    done = installed.run("infoscope", "doctor", "--json", "--no-optional", "-q", check=False)
    data = json.loads(done.stdout)
    broken = [
        f"{c['name']}: {c['detail']}; fix: {c['fix']}" for c in data["checks"] if c["ok"] is False
    ]
    assert broken == []
    assert data["ok"] and done.returncode == 0
    infoscope = next(c for c in data["checks"] if c["name"] == "infoscope")
    assert "editable" not in infoscope["detail"]


def test_demo_runs_on_a_small_scenario(installed: Installed) -> None:
    out = installed.work / "demo-out"
    installed.run("infoscope", "demo", "--posts", "2000", "--out", str(out), "-q", timeout=900)
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "summary.md").is_file()
