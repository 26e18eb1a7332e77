from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "measures"

    def ready(self):
        from django.conf import settings
        from PIL import Image

        from ita_portal.cache import watch

        # Pillow's decompression-bomb guard: a warning above this, an error above twice this.
        # measures.services.photo_size refuses by the header first, with a Thai message.
        Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_PIXELS

        from .models import Activity, Measure, Progress

        # What the cached pages (ita_portal/cache.py) show. Plans, photos and links are on none of
        # them: a progress save (with its photos) replaces the agency's token once, after the commit.
        watch(Measure, lambda m: m.agency_id)
        watch(Activity, lambda a: a.measure.agency_id)
        watch(Progress, lambda p: p.measure.agency_id)
