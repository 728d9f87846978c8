"""audits."""

urlpatterns: list = []
