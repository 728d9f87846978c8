"""The rules table (core/rules.py, RULES): every transition of every state machine has its
rules registered (an empty list when it has none but the chronology), every rule is a plain
function in its app's rules module with a docstring naming the clause it enforces, and a
transition guarded by ``rules_hold`` without registered rules is an error."""

import datetime
import re

import pytest
from django.apps import apps
from django_fsm import FSMFieldMixin

from certificates.models import Certification, decision_transitions
from core.rules import RULES, RuleMixin, RuleNotRegistered, rules_hold

# A docstring names its source: a clause of ISO/IEC 17021-1 (or 20000-6), an IAF MD, a China
# CNCA rule, or the shared domain text (shared/domain.md) the project distils them into.
SOURCE = re.compile(r"ISO/IEC 17021-1|ISO/IEC 20000-6|IAF MD|CNCA|shared/domain\.md")


def fsm_models():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FSMFieldMixin):
                yield model, field
                break


def transitions(model, field):
    return sorted({t.name for t in field.get_all_transitions(model)})


def conditions(model, name):
    meta = getattr(model, name)._django_fsm
    return [c for t in meta.transitions.values() for c in t.conditions]


def test_every_transition_of_every_state_machine_is_in_the_table():
    seen = []
    for model, field in fsm_models():
        assert issubclass(model, RuleMixin), model
        for name in transitions(model, field):
            RULES.rules_for(model, name)  # raises RuleNotRegistered when missing
            seen.append((model.__name__, name))
    assert ("Certification", "grant") in seen and ("Finding", "verify") in seen
    assert ("ScopeExtension", "grant") in seen and ("Audit", "start") in seen


def test_every_guarded_transition_has_a_rule_and_every_ruled_one_a_guard():
    for model, field in fsm_models():
        for name in transitions(model, field):
            guarded = any(c.__name__ == f"rules_for_{name}" for c in conditions(model, name))
            assert guarded == bool(RULES.rules_for(model, name)), f"{model.__name__}.{name}"


def test_the_table_names_only_real_transitions():
    for (model, name), _rules in RULES.items():
        field = model._meta.get_field("state")
        assert name in transitions(model, field), f"{model.__name__}.{name}"


def test_every_rule_is_a_named_function_of_its_apps_rules_module_with_its_clause():
    for (model, name), rules in RULES.items():
        for rule in rules:
            where = f"{model.__name__}.{name}: {rule.__name__}"
            assert rule.__module__ == f"{model._meta.app_label}.rules", where
            assert not rule.__name__.startswith("_blockers"), where
            assert rule.__doc__ and SOURCE.search(" ".join(rule.__doc__.split())), where


def test_rules_are_found_by_name():
    from audits import rules as audit_rules
    from certificates import rules as cert_rules

    grant = RULES.rules_for(Certification, "grant")
    assert cert_rules.decision_maker_not_on_audit_team in grant
    assert cert_rules.findings_cleared_within_stage2_limit in grant
    assert cert_rules.suspension_not_past_expiry in RULES.rules_for(Certification, "suspend")
    from audits.models import Audit

    assert audit_rules.audit_has_team_leader in RULES.rules_for(Audit, "start")


def test_every_decision_checks_the_conflict_of_interest():
    from certificates.rules import no_conflict_of_interest

    for name in decision_transitions():
        assert no_conflict_of_interest in RULES.rules_for(Certification, name), name
    assert no_conflict_of_interest not in RULES.rules_for(Certification, "expire")


def test_a_guarded_transition_without_rules_is_an_error():
    class Unregistered(RuleMixin):
        state_since = None

    obj = Unregistered().rule_context(on=datetime.date(2025, 1, 2))
    with pytest.raises(RuleNotRegistered):
        obj.blockers("grant")
    with pytest.raises(RuleNotRegistered):
        rules_hold("grant")(obj)
