"""Verifies a Liaison signed export (a compact JWS) as a third party would, with PyJWT:
the key is the one the token's `kid` names in the published JWK Set, the algorithm is
RS256 and nothing else, and the issuer must be the installation's public URL.

Usage: verify.py JWKS_FILE JWS_FILE ISSUER
Prints the verified payload as JSON; exits 1, saying why, when the token does not verify.
"""

import json
import sys

import jwt


def main() -> int:
    jwks_file, jws_file, issuer = sys.argv[1:4]
    with open(jwks_file, encoding="utf-8") as f:
        keys = jwt.PyJWKSet.from_json(f.read())
    with open(jws_file, encoding="utf-8") as f:
        token = f.read().strip()
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((k for k in keys.keys if k.key_id == kid), None)
        if key is None:
            print(f"does not verify: no published key has kid {kid!r}", file=sys.stderr)
            return 1
        payload = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=issuer,
            options={"require": ["iss", "sub", "iat"]},
        )
    except jwt.PyJWTError as e:
        print(f"does not verify: {e}", file=sys.stderr)
        return 1
    print(json.dumps(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
