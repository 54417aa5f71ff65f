from moderation.views import appeals, bulk, cases, queue

app_name = "moderation"

urlpatterns = [
    *queue.urlpatterns,
    *cases.urlpatterns,
    *appeals.urlpatterns,
    *bulk.urlpatterns,
]
