#!/usr/bin/env python3
"""Independent generator of the Standard Webhooks test vectors in vectors.json.

Written against the spec (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
with Python's hmac/hashlib/base64 only, so the TypeScript signer and verifier are checked against an
implementation that shares no code with them. Re-run with `python3 make-vectors.py > vectors.json`.
"""
import base64
import hashlib
import hmac
import json


def key_of(secret: str) -> bytes:
    assert secret.startswith("whsec_")
    return base64.b64decode(secret[len("whsec_"):])


def sign(secret: str, msg_id: str, ts: int, body: str) -> str:
    content = f"{msg_id}.{ts}.{body}".encode("utf-8")
    digest = hmac.new(key_of(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def secret_from(seed: str, n: int = 32) -> str:
    # Deterministic "random" key bytes so the vectors are reproducible.
    raw = hashlib.sha512(seed.encode()).digest()[:n]
    return "whsec_" + base64.b64encode(raw).decode("ascii")


NOW = 1_714_000_000  # the verifier's clock for every case, unix seconds
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
S1 = secret_from("verdict-vector-secret-1")
S2 = secret_from("verdict-vector-secret-2", 24)
S3 = secret_from("verdict-vector-secret-3", 64)
BODY = json.dumps(
    {"type": "verdict.fraud", "timestamp": "2024-04-24T23:06:40.000Z", "correlationId": "corr-1",
     "data": {"eventId": "tx-evt-1", "decision": "DECLINE", "score": 0.97}},
    separators=(",", ":"),
)
UNICODE_BODY = json.dumps({"type": "verdict.moderation", "data": {"text": "héllo wörld ✓ 🚀"}},
                          ensure_ascii=False, separators=(",", ":"))

cases = []


def case(name, secrets, msg_id, ts, body, signature, valid, error=None, signed_with=None):
    cases.append({
        "name": name,
        "secrets": secrets,
        "headers": {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature},
        "body": body,
        "now": NOW,
        "valid": valid,
        **({"error": error} if error else {}),
        **({"signedWith": signed_with} if signed_with else {}),
    })


# The spec's reference vector (the one the official libraries test), verified at its own time.
spec_sig = sign(SPEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
cases.append({
    "name": "spec reference vector",
    "secrets": [SPEC_SECRET],
    "headers": {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                "webhook-signature": spec_sig},
    "body": '{"test": 2432232314}',
    "now": 1614265330,
    "valid": True,
    "signedWith": SPEC_SECRET,
})
ID = "msg_verdictvector0000000001"
TS = NOW - 10
case("valid, one secret", [S1], ID, TS, BODY, sign(S1, ID, TS, BODY), True, signed_with=S1)
case("valid, 24-byte secret", [S2], ID, TS, BODY, sign(S2, ID, TS, BODY), True, signed_with=S2)
case("valid, 64-byte secret", [S3], ID, TS, BODY, sign(S3, ID, TS, BODY), True, signed_with=S3)
case("valid, unicode body", [S1], ID, TS, UNICODE_BODY, sign(S1, ID, TS, UNICODE_BODY), True, signed_with=S1)
case("rotation: two signatures, receiver knows only the new secret", [S2], ID, TS, BODY,
     sign(S2, ID, TS, BODY) + " " + sign(S1, ID, TS, BODY), True)
case("rotation: two signatures, receiver knows only the old secret", [S1], ID, TS, BODY,
     sign(S2, ID, TS, BODY) + " " + sign(S1, ID, TS, BODY), True)
case("rotation: receiver holds old and new secrets", [S1, S2], ID, TS, BODY, sign(S2, ID, TS, BODY), True)
case("unknown signature versions are skipped", [S1], ID, TS, BODY,
     "v1a,AAAA v2," + base64.b64encode(b"x" * 32).decode() + " " + sign(S1, ID, TS, BODY), True)
case("tolerance edge: 300 s old", [S1], ID, NOW - 300, BODY, sign(S1, ID, NOW - 300, BODY), True)
case("tampered body", [S1], ID, TS, BODY.replace("DECLINE", "APPROVE"), sign(S1, ID, TS, BODY), False,
     "no_matching_signature")
case("tampered id", [S1], ID + "x", TS, BODY, sign(S1, ID, TS, BODY), False, "no_matching_signature")
case("tampered timestamp", [S1], ID, TS + 1, BODY, sign(S1, ID, TS, BODY), False, "no_matching_signature")
case("wrong secret", [S2], ID, TS, BODY, sign(S1, ID, TS, BODY), False, "no_matching_signature")
case("stale timestamp (301 s old)", [S1], ID, NOW - 301, BODY, sign(S1, ID, NOW - 301, BODY), False,
     "timestamp_too_old")
case("timestamp from the future (301 s ahead)", [S1], ID, NOW + 301, BODY, sign(S1, ID, NOW + 301, BODY), False,
     "timestamp_too_new")
case("non-numeric timestamp", [S1], ID, "yesterday", BODY, sign(S1, ID, TS, BODY), False, "invalid_timestamp")
case("missing signature", [S1], ID, TS, BODY, "", False, "missing_header")
case("signature without version", [S1], ID, TS, BODY, sign(S1, ID, TS, BODY)[3:], False, "no_matching_signature")

print(json.dumps({"generator": "make-vectors.py (python hmac/hashlib/base64)", "toleranceSeconds": 300,
                  "cases": cases}, indent=2, ensure_ascii=False))
