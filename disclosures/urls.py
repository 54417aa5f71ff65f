from disclosures.views import (
    authorities,
    nondisclosure,
    preservation,
    release,
    reports,
    requests,
    review,
    subscribers,
)

app_name = "disclosures"

urlpatterns = [
    *requests.urlpatterns,
    *nondisclosure.urlpatterns,
    *authorities.urlpatterns,
    *review.urlpatterns,
    *release.urlpatterns,
    *subscribers.urlpatterns,
    *reports.urlpatterns,
    *preservation.urlpatterns,
]
