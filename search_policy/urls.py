from django.urls import path

from search_policy import views

app_name = "search_policy"

urlpatterns = [
    path("", views.home, name="home"),
    path("terms/new/", views.term_new, name="term_new"),
    path("terms/<int:term_id>/remove/", views.term_remove, name="term_remove"),
    path("entities/", views.entities, name="entities"),
    path("entities/new/", views.entity_new, name="entity_new"),
    path("entities/<int:entity_id>/relist/", views.entity_relist, name="entity_relist"),
    path("allowed/", views.allowed, name="allowed"),
    path("allowed/new/", views.allowed_new, name="allowed_new"),
    path("allowed/<int:allowed_id>/remove/", views.allowed_remove, name="allowed_remove"),
    path("review/", views.review, name="review"),
]
