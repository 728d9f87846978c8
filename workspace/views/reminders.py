"""reminders."""

urlpatterns: list = []
