"""The README's state diagrams are the ones the code declares."""

from certificates.diagram import markdown, mermaid, readme_block, readme_path
from certificates.models import Certification


def test_readme_diagram_matches_code():
    block = readme_block(readme_path().read_text(encoding="utf-8"))
    assert block is not None, "README.md lost its state-diagram markers"
    assert block == markdown(), (
        "README.md's state diagram differs from the transitions in the code: "
        "run `python manage.py state_diagram --write`"
    )


def test_diagram_has_every_transition():
    text = mermaid(Certification)
    for name in [
        "grant",
        "suspend",
        "lift_suspension",
        "withdraw",
        "expire",
        "restore_after_expiry",
        "recertify",
        "new_stage2",
    ]:
        assert f": {name}" in text
    assert "suspended --> active: lift_suspension" in text
