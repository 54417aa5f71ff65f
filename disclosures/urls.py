from disclosures.views import authorities, release, reports, requests, review, subscribers

app_name = "disclosures"

urlpatterns = [
    *requests.urlpatterns,
    *authorities.urlpatterns,
    *review.urlpatterns,
    *release.urlpatterns,
    *subscribers.urlpatterns,
    *reports.urlpatterns,
]
