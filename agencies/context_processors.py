def membership(request):
    """The agency access resolved by the view (if any), for the navigation bar."""
    return {"access": getattr(request, "access", None)}
