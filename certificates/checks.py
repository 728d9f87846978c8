"""System checks for what certificates print (registered when the certificates app is ready).

- certificates.E001 (every start): a mark configured (CERTBODY_CERTIFICATION_MARK,
  CERTBODY_ACCREDITATION_MARK) that is not a readable PNG or JPEG file. Found at start, not
  when the first certificate is rendered: ``manage.py migrate`` and the web process stop
  with the setting and the path named.
- certificates.W001 (``check --deploy``): no body address (CERTBODY_BODY_ADDRESS): ISO/IEC
  17021-1 8.2.2 asks for the body's name and address on every certificate.
"""

from django.core import checks

from core.policy import policy

from .pdf import MARK_SETTINGS, mark_problem


@checks.register()
def check_marks(app_configs=None, **kwargs):
    errors = []
    for name in MARK_SETTINGS:
        problem = mark_problem(name)
        if problem:
            errors.append(
                checks.Error(
                    problem,
                    hint=(
                        f"Point CERTBODY_{name} at a PNG or JPEG file the server can read, or "
                        "set it empty to print no mark."
                    ),
                    id="certificates.E001",
                )
            )
    return errors


@checks.register(deploy=True)
def check_body_address(app_configs=None, **kwargs):
    if str(policy("BODY_ADDRESS") or "").strip():
        return []
    return [
        checks.Warning(
            "CERTBODY['BODY_ADDRESS'] is empty: certificates print the body's name without its "
            "address (ISO/IEC 17021-1 8.2.2 asks for both).",
            hint="Set CERTBODY_BODY_ADDRESS to the body's address as certificates should print it.",
            id="certificates.W001",
        )
    ]
