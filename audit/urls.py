from django.urls import path

from audit import integrity_views, views

app_name = "audit"

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/<int:event_id>/proof.json", integrity_views.event_proof, name="event_proof"),
    path("integrity/", integrity_views.integrity, name="integrity"),
    path("integrity/verify/", integrity_views.verify_now, name="verify_now"),
    path("consistency.json", integrity_views.consistency_proof, name="consistency_proof"),
]
