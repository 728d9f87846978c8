"""Pages of a list without counting it.

``Paginator`` runs ``SELECT COUNT(*)`` over the whole filtered list on every page: over a
million certifications that count alone costs more than the page. A ``Window`` asks for one row
more than it shows instead: that row says whether there is a next page, and no count is made.
The pages are numbered (``?page=3``); a page past the end is empty, not an error.
"""

from dataclasses import dataclass, field

DEFAULT_PER_PAGE = 50
MAX_PAGE = 10_000


@dataclass
class Window:
    """One page of rows: ``rows``, its ``number`` (from 1), and whether pages follow."""

    rows: list
    number: int
    per_page: int
    has_next: bool
    extra: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def first_index(self) -> int:
        """The position of the first row shown, counted from 1 (0 for an empty page)."""
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def page_number(value) -> int:
    """The page asked for in a query string: a whole number from 1 to MAX_PAGE, else 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def window(rows, number, *, per_page: int = DEFAULT_PER_PAGE) -> Window:
    """Page ``number`` (any value, see ``page_number``) of ``rows`` (an ordered queryset or a
    list), fetching per_page + 1 rows and no count."""
    number = page_number(number)
    start = (number - 1) * per_page
    fetched = list(rows[start : start + per_page + 1])
    return Window(
        rows=fetched[:per_page], number=number, per_page=per_page, has_next=len(fetched) > per_page
    )
