from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request


def user_id_of(request: Request) -> int:
    """The authenticated caller's id (the view's permission has already required one)."""
    user_id = getattr(request.user, "pk", None)
    if user_id is None:
        raise NotAuthenticated()
    return int(user_id)
