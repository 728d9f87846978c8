"""History notes: a sentence written into a history row once and read later in the reader's
language.

A history row's description (django-fsm-log's ``StateLog.description``) is plain text, written
when the change happens: "Recommendation: Recommend certification" was stored in whatever
language the team leader's page (or the nightly task) was in, and a Chinese decision maker then
read English in the audit trail. A ``Note`` is such a sentence with named parts:

- ``note.text(**parts)`` writes it for storing, in English (``STORED_IN``): readable as it is
  by any tool that reads the table, and the same whoever wrote it;
- ``note_text(stored)`` recognises a stored sentence of any registered note (stored in English,
  or in another language by rows written before notes existed) and writes it again in the
  active language. Parts declared as choices (``Note(msg, r=Recommendation)``) are translated
  too; other parts (a reason a person typed, a date, a name) are shown as stored. Text that is
  no note (a reason typed by a person) comes back unchanged.

Every page, list or export that shows a history description calls ``note_text`` on it (the
workspace's templates: ``{{ log.description|note }}``).

A note registers itself when created: define notes at module level in a module imported once
the apps are ready (the services modules are: certificates' receivers import them)."""

import re

from django.conf import settings
from django.utils import translation

STORED_IN = "en"  # the language notes are written in for storing

_PART = re.compile(r"%\((\w+)\)[sd]|%%")
_notes: list["Note"] = []


class Note:
    """A translatable sentence stored in history rows (see the module doc). ``message`` is a
    lazy translation with ``%(name)s`` parts; ``choices`` maps a part to the ``TextChoices``
    (or a list of ``(value, label)``) whose label it prints."""

    def __init__(self, message, **choices):
        self.message = message
        self.choices = choices
        self._patterns: dict[str, tuple[re.Pattern, dict]] = {}
        _notes.append(self)

    def __str__(self):
        return str(self.message)

    @property
    def msgid(self) -> str:
        """The sentence as written in the source (untranslated)."""
        with translation.override(None):
            return str(self.message)

    def _choices(self, part):
        options = self.choices[part]
        return getattr(options, "choices", options)

    def render(self, **parts) -> str:
        """The sentence in the active language; a choice part given by its value."""
        values = dict(parts)
        for part in self.choices:
            if part in values:
                labels = {value: str(label) for value, label in self._choices(part)}
                values[part] = labels.get(values[part], values[part])
        return str(self.message) % values

    def text(self, **parts) -> str:
        """The sentence to store (in ``STORED_IN``)."""
        with translation.override(STORED_IN):
            return self.render(**parts)

    def _pattern(self, language: str) -> tuple[re.Pattern, dict]:
        """The sentence in ``language`` as a regular expression, and for each choice part its
        labels in that language mapped to the values."""
        if language not in self._patterns:
            with translation.override(language):
                sentence = str(self.message)
                labels = {
                    part: {str(label): value for value, label in self._choices(part)}
                    for part in self.choices
                }
            pieces, end = [], 0
            for match in _PART.finditer(sentence):
                pieces.append(re.escape(sentence[end : match.start()]))
                name = match.group(1)
                if name is None:  # "%%"
                    pieces.append(re.escape("%"))
                elif f"(?P<{name}>" in "".join(pieces):
                    pieces.append(f"(?P={name})")
                elif name in labels:  # one of its labels, the longest first ("Stage 1" ...)
                    options = sorted(labels[name], key=len, reverse=True)
                    pieces.append(f"(?P<{name}>{'|'.join(map(re.escape, options))})")
                else:
                    pieces.append(f"(?P<{name}>.*?)")
                end = match.end()
            pieces.append(re.escape(sentence[end:]))
            self._patterns[language] = (re.compile("".join(pieces), re.DOTALL), labels)
        return self._patterns[language]

    def parse(self, stored: str) -> dict | None:
        """The parts of ``stored`` if it is this sentence in one of the site's languages
        (choice parts as values), else None."""
        languages = [STORED_IN] + [code for code, _name in settings.LANGUAGES if code != STORED_IN]
        for language in languages:
            pattern, labels = self._pattern(language)
            match = pattern.fullmatch(stored)
            if match is None:
                continue
            parts = match.groupdict()
            for part, by_label in labels.items():
                value = parts.get(part)
                if value in by_label:
                    parts[part] = by_label[value]
                elif value not in by_label.values():
                    break  # not one of the choices: not this note
            else:
                return parts
        return None


def note_text(stored) -> str:
    """A stored history description in the active language: a registered note's sentence is
    written again in it; anything else is returned as stored ("" for None)."""
    if not stored:
        return ""
    stored = str(stored)
    for note in _notes:
        parts = note.parse(stored)
        if parts is not None:
            return note.render(**parts)
    return stored
