"""clients."""

urlpatterns: list = []
