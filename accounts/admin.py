"""Users in the admin, with their preferences (language) inline."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import UserPreference
from core.names import person_name


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
    """django.contrib.auth's user admin with the user's preferences. People are listed with
    their name as they write it (王建华, Anna Schmidt) rather than its two parts, which
    Django shows given name first."""

    inlines = [*UserAdmin.inlines, UserPreferenceInline]
    list_display = ("username", "name", "email", "is_staff")

    @admin.display(description=_("Name"), ordering="last_name")
    def name(self, obj):
        return person_name(obj) if (obj.first_name or obj.last_name) else ""
