from moderation.views import appeals, bulk, cases, media, queue, reporters, transparency
from moderation.views import metrics as metrics_views
from moderation.views import notes as note_views
from moderation.views import reply_templates as reply_template_views

app_name = "moderation"

urlpatterns = [
    *queue.urlpatterns,
    *cases.urlpatterns,
    *media.urlpatterns,
    *appeals.urlpatterns,
    *bulk.urlpatterns,
    *reporters.urlpatterns,
    *note_views.urlpatterns,
    *reply_template_views.urlpatterns,
    *transparency.urlpatterns,
    *metrics_views.urlpatterns,
]
