"""dashboard."""

urlpatterns: list = []
