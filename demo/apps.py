from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for a laptop, a trial and the benchmarks (``seed_demo``,
    ``seed_demo_if_empty``). Development only: production settings leave it out unless
    CERTBODY_DEMO=true."""

    name = "demo"
    verbose_name = "Demo data"
