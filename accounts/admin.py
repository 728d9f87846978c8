"""Users in the admin, with their preferences (language) inline."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import UserPreference


class UserPreferenceInline(admin.StackedInline):
    """The user's language: of the mail certbody sends them and of the interface after login."""

    model = UserPreference
    fields = ("language",)
    can_delete = False
    max_num = 1


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class CertbodyUserAdmin(UserAdmin):
    """django.contrib.auth's user admin with the user's preferences."""

    inlines = [*UserAdmin.inlines, UserPreferenceInline]
