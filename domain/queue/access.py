"""Access tokens: proof that the waiting room admitted this fan to this schedule.

`v1.<user>.<schedule>.<expires_ms>.<signature>`, HMAC-SHA256 under a server secret. A valid
signature is necessary, not sufficient: the fan must also still be in the active set.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass

from domain.queue.model import InvalidQueueToken, NotAdmitted

VERSION = "v1"  # access tokens
QUEUE = "q"  # queue tokens: the receipts of places in line
NAMES = {VERSION: "access token", QUEUE: "queue token"}


@dataclass(frozen=True, slots=True)
class AccessGrant:
    user_id: int
    schedule_id: int
    expires_ms: int


@dataclass(frozen=True)
class AccessTokens:
    secret: bytes

    def _sign(self, message: str) -> str:
        digest = hmac.new(self.secret, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def opened(self, token: str, *, kind: str, error: type[Exception]) -> list[str]:
        """The three fields of a `<kind>.<a>.<b>.<c>.<signature>` token we signed, or `error`
        (malformed, or not genuine)."""
        parts = token.split(".")
        if len(parts) != 5 or parts[0] != kind:
            raise error(f"the {NAMES[kind]} is malformed")
        if not hmac.compare_digest(parts[4], self._sign(".".join(parts[:4]))):
            raise error(f"the {NAMES[kind]} is not genuine")
        return parts[1:4]

    def issue(self, *, user_id: int, schedule_id: int, expires_ms: int) -> str:
        message = f"{VERSION}.{user_id}.{schedule_id}.{expires_ms}"
        return f"{message}.{self._sign(message)}"

    def verify(
        self, token: str, *, user_id: int, schedule_id: int | None, now_ms: int
    ) -> AccessGrant:
        """The grant, if the token is genuine, this fan's, for this schedule (None: for the
        schedule it names, which the caller then checks) and unexpired."""
        user, schedule, expires = self.opened(token, kind=VERSION, error=NotAdmitted)
        try:
            grant = AccessGrant(int(user), int(schedule), int(expires))
        except ValueError:
            raise NotAdmitted("the access token is malformed") from None
        if grant.user_id != user_id or schedule_id not in (None, grant.schedule_id):
            raise NotAdmitted("the access token belongs to another fan or schedule")
        if grant.expires_ms <= now_ms:
            raise NotAdmitted("the access token has expired")
        return grant


def queue_token(tokens: AccessTokens, *, user_id: int, schedule_id: int, entry: int) -> str:
    """An opaque, signed receipt of the fan's place (entry number) in the queue."""
    message = f"{QUEUE}.{user_id}.{schedule_id}.{entry}"
    return f"{message}.{tokens._sign(message)}"


def entry_in_queue_token(
    tokens: AccessTokens, token: str, *, user_id: int, schedule_id: int
) -> int:
    """The entry number a queue token is the receipt of, if it is genuine and this fan's for
    this schedule."""
    user, schedule, entry = tokens.opened(token, kind=QUEUE, error=InvalidQueueToken)
    if user != str(user_id) or schedule != str(schedule_id):
        raise InvalidQueueToken("the queue token belongs to another fan or schedule")
    try:
        return int(entry)
    except ValueError:
        raise InvalidQueueToken("the queue token is malformed") from None
