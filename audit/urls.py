from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
]
