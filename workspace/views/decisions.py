"""decisions."""

urlpatterns: list = []
