"""The ja and zh-Hans catalogues cover every text of the project's own code: none is missing
(makemessages would add it), none is left empty or fuzzy (Django shows those in English), every
placeholder survives the translation, and the compiled catalogues are the ones in use.

The catalogues hold only the project's texts (makemessages runs over this repository, not over
.venv), so nothing here is excluded as third-party."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"ja": "ja", "zh_Hans": "zh-hans"}  # catalogue folder -> Django language code
# The same folders scripts and developers leave out when they run makemessages.
NOT_SCANNED = [".venv", "var", "node_modules", "staticfiles", "artifacts"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdif]|\{\w*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def _unquote(line: str) -> str:
    body = line[line.index('"') + 1 : line.rindex('"')]
    escapes = {"n": "\n", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), body)


def read_po(path: Path) -> list[Entry]:
    """The active entries of a .po file (obsolete `#~` ones and the header left out)."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, part = Entry(), ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                text = _unquote(line)
                if part.startswith("msgstr"):
                    index = int(part[7:-1]) if "[" in part else 0
                    entry.msgstr[index] += text
                else:
                    setattr(entry, part, (getattr(entry, part) or "") + text)
            else:
                part, _, rest = line.partition(" ")
                if part.startswith("msgstr"):
                    index = int(part[7:-1]) if "[" in part else 0
                    entry.msgstr[index] = _unquote(rest)
                else:
                    setattr(entry, part, _unquote(rest))
        if entry.msgid or entry.msgid_plural:
            entries.append(entry)
    return entries


def catalogue(folder: str, root: Path = ROOT) -> list[Entry]:
    return read_po(root / "locale" / folder / "LC_MESSAGES" / "django.po")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# --- the reader itself -------------------------------------------------------------------------


def test_the_reader_sees_empty_fuzzy_and_plural_entries(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ja\\n"\n\n'
        '#: a.py:1\nmsgid "Done"\nmsgstr "完了"\n\n'
        '#: a.py:2\nmsgid "Empty"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid ""\n"Hello %(name)s"\nmsgstr "こん"\n"にちは"\n\n'
        'msgid "%(n)d car"\nmsgid_plural "%(n)d cars"\nmsgstr[0] "%(n)d 台"\n\n'
        '#~ msgid "Old"\n#~ msgstr "古い"\n',
        encoding="utf-8",
    )
    entries = {e.msgid: e for e in read_po(po)}
    assert set(entries) == {"Done", "Empty", "Hello %(name)s", "%(n)d car"}
    assert entries["Done"].msgstr == {0: "完了"} and not entries["Done"].flags
    assert entries["Empty"].msgstr == {0: ""}
    assert entries["Hello %(name)s"].flags == {"fuzzy", "python-format"}
    assert entries["Hello %(name)s"].msgstr == {0: "こんにちは"}
    assert entries["%(n)d car"].msgid_plural == "%(n)d cars"
    assert _untranslated(list(entries.values())) == ["Empty", "Hello %(name)s"]


def _untranslated(entries: list[Entry]) -> list[str]:
    return [
        e.msgid for e in entries if "fuzzy" in e.flags or not e.msgstr or not all(e.msgstr.values())
    ]


# --- the committed catalogues ------------------------------------------------------------------


@pytest.mark.parametrize("folder", list(LANGUAGES))
def test_every_text_is_translated_and_none_is_fuzzy(folder: str) -> None:
    entries = catalogue(folder)
    assert len(entries) > 1000
    assert _untranslated(entries) == [], (
        f"translate these in locale/{folder}/LC_MESSAGES/django.po (fuzzy: check, then drop the flag)"
    )


@pytest.mark.parametrize("folder", list(LANGUAGES))
def test_translations_keep_every_placeholder(folder: str) -> None:
    wrong = []
    for entry in catalogue(folder):
        for index, text in entry.msgstr.items():
            source = entry.msgid if index == 0 and not entry.msgid_plural else entry.msgid_plural
            # One plural form (ja, zh) stands for the plural: it keeps the plural's placeholders.
            if placeholders(text) != placeholders(source or entry.msgid):
                wrong.append((entry.msgid, text))
    assert wrong == []


@pytest.mark.parametrize(("folder", "language"), list(LANGUAGES.items()))
def test_the_compiled_catalogue_is_the_current_one(folder: str, language: str) -> None:
    """What a page shows is the .mo file: it must say what the .po says (compilemessages)."""
    stale = []
    with translation.override(language):
        for entry in catalogue(folder):
            if entry.msgid_plural:
                shown = (
                    translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 2)
                    if entry.msgctxt
                    else translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                )
            elif entry.msgctxt:
                shown = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                shown = translation.gettext(entry.msgid)
            if shown != entry.msgstr[0]:
                stale.append(entry.msgid)
    assert stale == [], "run `python manage.py compilemessages`"


def test_the_catalogues_hold_every_text_of_the_code(tmp_path: Path, settings, monkeypatch) -> None:
    """makemessages over a copy of the sources must find nothing the catalogues lack (a text
    added to the code without updating them shows in English) and nothing they no longer need."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("gettext is missing: install the packages in scripts/apt-packages.txt")
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(*NOT_SCANNED, ".git", "*.mo", "__pycache__", ".*cache"),
    )
    monkeypatch.chdir(copy)
    settings.LOCALE_PATHS = [copy / "locale"]
    call_command(
        "makemessages",
        locale=list(LANGUAGES),
        ignore_patterns=NOT_SCANNED,
        verbosity=0,
    )
    for folder in LANGUAGES:
        committed = {e.key for e in catalogue(folder)}
        extracted = {e.key for e in catalogue(folder, root=copy)}
        assert sorted(extracted - committed, key=str) == [], (
            f"new texts: run makemessages (see tests/core/test_translation_catalogues.py) "
            f"and translate them in locale/{folder}"
        )
        assert sorted(committed - extracted, key=str) == [], (
            f"texts gone: run makemessages ({folder})"
        )
