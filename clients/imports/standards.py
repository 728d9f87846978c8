"""Standards as spreadsheets name them: both imports (client lists, existing certificates)
read a standard column through :class:`StandardLookup`."""

from django.utils.translation import gettext_lazy

from infra.tabular import normalise_text

from ..models import Standard

MSG_UNKNOWN_STANDARD = gettext_lazy(
    "unknown standard; known: %(known)s (code and edition, e.g. ISO/IEC 20000-1:2018)"
)


class StandardLookup:
    """Standards by what spreadsheets call them: "ISO/IEC 20000-1:2018", "ISO/IEC 20000-1"
    (the newest edition accepting applications), "20000-1", "ISO 9001:2015", "GB/T 19001"...
    Case, spaces and full-width characters do not matter."""

    def __init__(self):
        self.by_key: dict[str, Standard] = {}
        standards = list(Standard.objects.all())
        for std in standards:
            self.by_key.setdefault(self._key(f"{std.code}:{std.edition}"), std)
        # Without an edition: the newest edition accepting applications.
        for std in sorted(standards, key=lambda s: (not s.is_active, -int(s.edition or 0))):
            bare = std.code.split(" ", 1)[-1]  # "ISO/IEC 20000-1" -> "20000-1"
            for name in (std.code, bare, f"{bare}:{std.edition}"):
                self.by_key.setdefault(self._key(name), std)
        self.known = ", ".join(sorted(f"{s.code}:{s.edition}" for s in standards))

    @staticmethod
    def _key(text: str) -> str:
        return normalise_text(text).upper().replace(" ", "")  # NFKC folds full-width colons

    def get(self, text: str) -> Standard | None:
        return self.by_key.get(self._key(text))
