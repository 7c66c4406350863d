from django.conf import settings


def actor(request) -> dict:
    """The acting organisation and role, and the inbox count, for every page."""
    from agritrace.accounts.access import Actor
    from agritrace.notifications.models import Notification

    current = getattr(request, "_actor", None)
    if current is None:
        current = Actor.of(getattr(request, "user", None))
        request._actor = current
    unread = 0
    if current.organisation is not None:
        unread = Notification.objects.filter(
            organisation=current.organisation, read_at__isnull=True
        ).count()
    return {
        "actor": current,
        "unread_count": unread,
        "tile_url": settings.AGRITRACE_TILE_URL,
        "tile_attribution": settings.AGRITRACE_TILE_ATTRIBUTION,
    }
