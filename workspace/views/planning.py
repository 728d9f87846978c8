"""planning."""

urlpatterns: list = []
