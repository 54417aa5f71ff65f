from moderation.views import appeals, bulk, cases, media, queue, reporters

app_name = "moderation"

urlpatterns = [
    *queue.urlpatterns,
    *cases.urlpatterns,
    *media.urlpatterns,
    *appeals.urlpatterns,
    *bulk.urlpatterns,
    *reporters.urlpatterns,
]
