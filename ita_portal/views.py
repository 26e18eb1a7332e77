"""Project-level pages: the landing page sends each user to where their work is.

It lives here, above every app, because it names pages of several apps (a lower app must not
name a higher one's URLs).
"""

from django.shortcuts import redirect, render

from agencies import selectors
from agencies.models import Role

# Where each role's work is: those who enter and follow up progress land on งานของฉัน; executives
# and viewers on the score page; oversight users on their group's overview (below).
LANDING = {Role.STAFF: "measures:my_work", Role.COORDINATOR: "measures:my_work"}


def home(request):
    oversight = request.user.oversight_scopes.exists()
    if oversight and not request.user.memberships.exists():
        # Oversight users read many agencies: their page is the group's overview.
        return redirect("oversight:summary")
    agencies = selectors.agencies_for_user(user=request.user)
    if len(agencies) == 1 and not oversight:
        membership = request.user.memberships.get(agency=agencies[0])
        return redirect(LANDING.get(membership.role, "measures:dashboard"), code=agencies[0].code)
    return render(request, "home.html", {"agencies": agencies, "oversight_nav": oversight})
