from rest_framework.routers import SimpleRouter

from apps.waitlist.api.views import WaitlistEntryViewSet, WaitlistOfferViewSet

router = SimpleRouter(use_regex_path=False)
router.register("waitlist", WaitlistEntryViewSet, basename="waitlist-entry")
router.register("waitlist-offers", WaitlistOfferViewSet, basename="waitlist-offer")

urlpatterns = router.urls
