"""Unsubscribing from a campaign's mail (issue 10.7; the rule and the link: services/mail/unsubscribe.py).

``/unsubscribe/<token>`` is the link in every campaign mail and in its ``List-Unsubscribe`` header.
A GET only shows a page with a button (link checkers and mail scanners open links: opening one
changes nothing). A POST unsubscribes: the page's button, or the mail client's one-click POST
(RFC 8058, body ``List-Unsubscribe=One-Click``).

That POST is exempt from CSRF, deliberately: a mail provider sends it from its own servers, with no
cookie, no session and so no CSRF token, and RFC 8058 requires it to work that way. CSRF protects an
action a signed-in browser could be tricked into; here the signed token in the URL is the whole
authority (it names one address at one campaign, and can't be made without the secret), so a forged
cross-site POST can only do what the holder of the link can do anyway: unsubscribe that address.
Undoing it ("get the emails again") is an ordinary form with a CSRF token, since only a person on
the page does that.

No rate limit per client: large mail providers send many people's one-click POSTs from few addresses.
An unknown token is a 404 that does not say whether the campaign exists.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from organizer.extensions import csrf, db
from organizer.services.mail import unsubscribe as rules
from organizer.unsubscribe import bp
from organizer.unsubscribe.forms import ResubscribeForm


def _link_or_404(token: str):
    found = rules.read_token(token)
    if found is None:
        abort(404)
    return found


@bp.get("/unsubscribe/<token>")
def page(token: str):
    campaign, hashed = _link_or_404(token)
    done = rules.is_hash_unsubscribed(campaign.id, hashed)
    return render_template("unsubscribe/page.html", campaign=campaign, token=token, done=done,
                           form=ResubscribeForm())


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # see the module's docstring: RFC 8058 one-click, authorized by the signed token alone
def one_click(token: str):
    campaign, hashed = _link_or_404(token)
    rules.unsubscribe(campaign, hashed)
    db.session.commit()
    return render_template("unsubscribe/page.html", campaign=campaign, token=token, done=True, just_now=True,
                           form=ResubscribeForm())


@bp.post("/unsubscribe/<token>/undo")
def undo(token: str):
    campaign, hashed = _link_or_404(token)
    if not ResubscribeForm().validate_on_submit():
        abort(400)
    rules.resubscribe(campaign, hashed)
    db.session.commit()
    flash(_("You'll get this campaign's emails again."), "success")
    return redirect(url_for("unsubscribe.page", token=token), code=303)
