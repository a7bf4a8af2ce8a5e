"""Secret tokens for links: 256 random bits, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def ticket_token_for(manage_token: str) -> str:
    """The QR ticket token, derived one way from the private manage token.

    Whoever holds the manage link can always show the ticket again, while a door volunteer who
    scans the ticket learns nothing that would let them change or cancel the RSVP.
    """
    return hashlib.sha256(b"ticket:" + manage_token.encode("utf-8", "surrogatepass")).hexdigest()[:43]


def link_hashes(manage_token: str) -> dict[str, str]:
    """What an RSVP stores of its private link: the digests of the token and of the ticket made from it."""
    return {"manage_token_hash": hash_token(manage_token),
            "ticket_token_hash": hash_token(ticket_token_for(manage_token))}
