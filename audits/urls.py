"""The auditor pages (/auditor/...), the private calendar feed and the staff scheduling board.
Included inside i18n_patterns: /auditor/ in English, /zh-hans/auditor/ in Chinese."""

from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("auditor/", views.my_audits, name="my_audits"),
    path("auditor/calendar/", views.calendar, name="calendar"),
    path("auditor/calendar/feed/", views.feed_settings, name="feed_settings"),
    path("auditor/calendar/feed/revoke/", views.feed_revoke, name="feed_revoke"),
    # token_urlsafe tokens are exactly the slug alphabet.
    path("auditor/calendar/<slug:token>.ics", views.feed, name="feed"),
    path("auditor/audits/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("auditor/audits/<int:pk>/start/", views.audit_start, name="audit_start"),
    path("auditor/audits/<int:pk>/report/", views.audit_report, name="audit_report"),
    path("auditor/audits/<int:pk>/findings/", views.finding_raise, name="finding_raise"),
    path("auditor/unavailability/", views.unavailability, name="unavailability"),
    path("staff/schedule/", views.schedule_board, name="schedule_board"),
]
