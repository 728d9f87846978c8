"""applications."""

urlpatterns: list = []
