"""A token issuer on 127.0.0.1: an RSA key, its JWKS endpoint, and tokens signed the way
Cognito or an OIDC provider signs them. The stand-in the tests and the in-process
benchmarks point ``JWKS_URL`` at (the local stack uses the emulator's Cognito)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://issuer.adhesion.test"
AUDIENCE = "adhesion-web"
KID = "test-key-1"


class Issuer:
    """Signs tokens the way Cognito or an OIDC provider would, and serves its JWKS."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys = {KID: self.private_key}
        self.jwks_requests = 0
        self._server: ThreadingHTTPServer | None = None

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            keys.append(jwk | {"kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def start(self) -> str:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.jwks_requests += 1
                payload = json.dumps(issuer.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_port}/.well-known/jwks.json"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def claims(self, sub: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": sub,
            "token_use": "id",
            "iat": now,
            "exp": now + 3600,
            "auth_time": now,
            "name": sub.title(),
            "email": f"{sub}@example.org",
            # As Cognito says it of an address the user confirmed (the service refuses the rest).
            "email_verified": True,
            "locale": "fr",
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def token(self, sub: str, *, kid: str = KID, headers: dict | None = None, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(sub, **overrides),
            self.keys.get(kid, self.private_key),
            algorithm="RS256",
            headers={"kid": kid} | (headers or {}),
        )
