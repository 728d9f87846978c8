"""certifications."""

urlpatterns: list = []
