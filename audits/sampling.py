"""Multi-site sampling (IAF MD 1): how many sites to visit and which.

Besides the central function, audited every time, the sample of the other x sites is
sqrt(x) for the initial audit, 0.6*sqrt(x) for surveillance and 0.8*sqrt(x) for
recertification, each rounded up. At least SAMPLE_RANDOM_PERCENT (25%) of the sample is drawn
at random, with a recorded seed so the draw can be repeated and shown to an assessor; the rest
prefers sites not visited earlier in the cycle.
"""

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from core.policy import policy

FACTORS = {"initial": 1.0, "surveillance": 0.6, "recertification": 0.8}


def sample_size(other_sites: int, kind: str) -> int:
    """Sites to visit besides the central function, for ``kind`` in FACTORS."""
    if other_sites <= 0:
        return 0
    # Round half-way floats safely: 0.6*sqrt(25) is 3.0000000000000004 in binary floating
    # point, which must stay 3, not become 4.
    raw = FACTORS[kind] * math.sqrt(other_sites)
    return min(other_sites, math.ceil(round(raw, 9)))


def sample_sizes(other_sites: int) -> dict[str, int]:
    """The three sample sizes for ``other_sites`` sites besides the central function."""
    return {kind: sample_size(other_sites, kind) for kind in FACTORS}


@dataclass
class Sample:
    """The result of a draw, with everything needed to show how it was made."""

    kind: str
    seed: int
    size: int
    central: int | None
    random_ids: list[int] = field(default_factory=list)
    preferred_ids: list[int] = field(default_factory=list)

    @property
    def site_ids(self) -> list[int]:
        ids = [self.central] if self.central is not None else []
        return ids + self.random_ids + self.preferred_ids

    def trace(self) -> dict:
        return {
            "kind": self.kind,
            "seed": self.seed,
            "size": self.size,
            "central": self.central,
            "random": self.random_ids,
            "preferred_unvisited_first": self.preferred_ids,
        }


def draw_sample(
    *,
    kind: str,
    central: int | None,
    others: Sequence[int],
    visited: Iterable[int] = (),
    seed: int,
) -> Sample:
    """Draw the sample of ``others`` (site ids, the central function excluded) for ``kind``.

    ceil(SAMPLE_RANDOM_PERCENT% of the size) sites are drawn uniformly at random from all the
    other sites; the rest of the sample is filled with sites not in ``visited`` (earlier
    audits of the cycle) first, in random order, then visited ones. The same seed gives the same
    sample.
    """
    others = sorted(set(others))
    size = sample_size(len(others), kind)
    rng = random.Random(seed)
    n_random = min(size, math.ceil(size * policy("SAMPLE_RANDOM_PERCENT") / 100))
    random_ids = sorted(rng.sample(others, n_random)) if n_random else []
    rest = [s for s in others if s not in set(random_ids)]
    rng.shuffle(rest)
    seen = set(visited)
    rest.sort(key=lambda s: s in seen)  # stable: unvisited first, random order within
    preferred = rest[: size - n_random]
    return Sample(
        kind=kind,
        seed=seed,
        size=size,
        central=central,
        random_ids=random_ids,
        preferred_ids=preferred,
    )


# -- the draw as people read it (the admin's and the workspace's audit pages) ---------------------
# (The existing messages, so the Chinese reads right before any new translation is compiled.)
SAMPLE_KIND_LABELS = {
    "initial": _("Initial audit"),
    "surveillance": _("surveillance"),
    "recertification": _("recertification"),
}
MSG_SAMPLE_NOTE = _(
    "Drawn for %(kind)s: %(size)s besides the central function; seed %(seed)s; at random "
    "%(random)s; then not yet visited first %(preferred)s; visited before in the cycle "
    "%(visited)s."
)
MSG_NO_SITES = _("none")


def sample_note(trace: dict, site_names: Mapping[int, str] | None = None) -> str:
    """The recorded draw (an audit's ``sample_trace``) in one sentence in the active language:
    the kind as a word, sites by name (``site_names``: id -> name; an unknown id as "#id"),
    "none" for an empty list. "" for no draw."""
    if not trace:
        return ""
    names = site_names or {}

    def sites(ids) -> str:
        if not ids:
            return str(MSG_NO_SITES)
        return str(_(", ")).join(names.get(pk) or f"#{pk}" for pk in ids)

    kind = trace.get("kind", "")
    return str(
        MSG_SAMPLE_NOTE
        % {
            "kind": SAMPLE_KIND_LABELS.get(kind, kind or "-"),
            "size": trace.get("size", 0),
            "seed": trace.get("seed", "-"),
            "random": sites(trace.get("random")),
            "preferred": sites(trace.get("preferred_unvisited_first")),
            "visited": sites(trace.get("visited_before")),
        }
    )
