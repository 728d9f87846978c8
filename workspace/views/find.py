"""find."""

urlpatterns: list = []
