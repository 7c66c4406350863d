from django.conf import settings


def actor(request) -> dict:
    """The acting organisation and role, the inbox count and the role's menu (made only when
    a page shows it), for every page."""
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
    match = getattr(request, "resolver_match", None)

    def menu() -> list:
        from .menu import menu_for

        if not hasattr(request, "_menu"):
            request._menu = menu_for(
                current,
                getattr(match, "url_name", "") or "",
                getattr(match, "app_name", "") or "",
            )
        return request._menu

    return {
        "actor": current,
        "menu": menu,
        "unread_count": unread,
        "tile_url": settings.AGRITRACE_TILE_URL,
        "tile_attribution": settings.AGRITRACE_TILE_ATTRIBUTION,
    }
