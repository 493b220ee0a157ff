"""The custom authorizer: a thin wrapper over :func:`chalicelib.tokens.verify_token`.

It fails closed: any token that does not verify is denied, and errors other than
a bad token propagate, which API Gateway also answers with a refusal.
"""

from __future__ import annotations

import logging

from chalice import AuthResponse, Blueprint

from chalicelib.bootstrap import container
from chalicelib.config import get_settings
from chalicelib.errors import InvalidToken

logger = logging.getLogger(__name__)

bp = Blueprint(__name__)

_DENY = AuthResponse(routes=[], principal_id="anonymous")


@bp.authorizer(ttl_seconds=get_settings().authorizer_ttl_seconds)
def jwt_authorizer(auth_request):
    scheme, _, token = (auth_request.token or "").partition(" ")
    if scheme.lower() != "bearer":
        return _DENY
    # Imported here: PyJWT and cryptography take longer to import than the rest of app.py
    # together, and only the authorizer function uses them; the API and stream functions,
    # which import the same app.py, never do (see bench/RESULTS.md, cold start).
    from chalicelib.tokens import verify_token

    services = container()
    try:
        caller = verify_token(token.strip(), services.signing_keys, services.token_policy)
    except InvalidToken as e:
        logger.info("token refused: %s", e)
        return _DENY
    return AuthResponse(
        routes=["*"],
        principal_id=caller.user_id,
        # API Gateway hands context values to the API as strings ("true"), chalice local
        # as given: a string reads the same in both.
        context={
            "name": caller.name,
            "email": caller.email,
            "locale": caller.locale,
            "email_verified": "true" if caller.email_verified else "false",
        },
    )
