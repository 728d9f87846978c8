from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from audits.views import admin_index
from infra.files import protected_file

admin.site.site_header = "certbody"
admin.site.site_title = "certbody"
# The admin index links to the auditor pages and the scheduling board.
admin.site.index_template = "audits/admin_index.html"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("certificates.urls_api")),
    # Stored files (MEDIA_URL): staff only, per object (infra/files.py). Never served from
    # MEDIA_ROOT directly, in any settings.
    path(
        "admin/files/<path:name>",
        admin.site.admin_view(protected_file),
        name="protected_file",
    ),
]
urlpatterns += i18n_patterns(
    # The public verification pages first: every QR scan resolves through this list.
    path("", include("certificates.urls_public")),
    # /admin/ itself: someone who does not work in the admin (an auditor, a decision maker)
    # goes to the workspace; the rest get the admin's index (audits/views.py).
    path("admin/", admin_index, name="admin_index"),
    path("admin/", admin.site.urls),
    # The staff workspace: where everyone signs in and does their day's work.
    path("work/", include("workspace.urls")),
    path("", RedirectView.as_view(pattern_name="workspace:home", permanent=False), name="root"),
    path("", include("audits.urls")),
    prefix_default_language=False,
)
