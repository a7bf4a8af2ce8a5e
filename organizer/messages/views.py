"""Messages to a segment: compose, preview ("N people will get this"), a test to oneself, send.

One page per audience (an event's people, a campaign's consenting supporters). The form goes round:
compose -> preview (with the count and the mail as a recipient sees it) -> send, or a test, or back to
editing; nothing typed is lost on the way. The preview issues the key that makes the send idempotent.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from organizer.extensions import db
from organizer.messages import bp
from organizer.messages.forms import MessageForm
from organizer.models import Campaign, Event
from organizer.rendering import message_mail
from organizer.services.common.errors import DomainError
from organizer.services.common.permissions import Action
from organizer.services.messaging import messages, segments
from organizer.views_common import campaign_or_404, event_or_404, show_error


@bp.route("/e/<int:event_id>/message", methods=["GET", "POST"])
@login_required
def event_message(event_id: int):
    event = event_or_404(event_id, Action.SEND_MESSAGES)
    return _compose(event.campaign, event)


@bp.route("/c/<slug>/message", methods=["GET", "POST"])
@login_required
def campaign_message(slug: str):
    campaign = campaign_or_404(slug, Action.SEND_MESSAGES)
    return _compose(campaign, None)


def _compose(campaign: Campaign, event: Event | None):
    user = current_user._get_current_object()
    form = MessageForm()
    offered = segments.available(event)
    form.segments.choices = [SelectChoice(segment.value, segments.LABELS[segment]) for segment in offered]
    if request.method == "GET":
        form.segments.data = [offered[0].value]
        return _page(campaign, event, form, offered)
    if not form.validate_on_submit():
        abort(400)  # only a missing or stale CSRF token gets here: every field is checked below
    try:
        target = segments.audience(campaign, event, form.segments.data or [])
        draft = messages.clean_draft(form.subject.data, form.body.data)
    except DomainError as error:
        show_error(form, error, "body")
        return _page(campaign, event, form, offered), 400
    if form.edit.data:
        form.idempotency_key.data = ""  # an edited draft is a new message: its preview makes a new key
        return _page(campaign, event, form, offered)
    if form.send.data:
        try:
            message, created = messages.send(user, target, draft, form.idempotency_key.data or "")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, "segments")
            return _preview(campaign, event, form, offered, target, draft), 400
        db.session.commit()
        if created:
            flash(ngettext("Sent: %(num)d person will get “%(subject)s” in the next few minutes.",
                           "Sent: %(num)d people will get “%(subject)s” in the next few minutes.",
                           message.recipient_count, subject=message.subject), "success")
        else:
            flash(_("This message was already sent; it was not sent again."), "warning")
        if event is not None:
            return redirect(url_for("events.detail", event_id=event.id), code=303)
        return redirect(url_for("campaigns.overview", slug=campaign.slug), code=303)
    if form.test.data:
        messages.send_test(user, target, draft)
        db.session.commit()
        flash(_("A test is on its way to %(email)s. Nobody else got it.", email=user.email), "success")
    return _preview(campaign, event, form, offered, target, draft)


def _page(campaign, event, form, offered):
    counts = {segment: messages.recipient_count(current_user, segments.audience(campaign, event, [segment]))
              for segment in offered}
    return render_template("messages/compose.html", campaign=campaign, event=event, form=form, counts=counts,
                           segments_by_value={segment.value: segment for segment in offered})


def _preview(campaign, event, form, offered, target, draft):
    if not form.idempotency_key.data:
        form.idempotency_key.data = secrets.token_urlsafe(24)
    count = messages.recipient_count(current_user, target)
    return render_template("messages/preview.html", campaign=campaign, event=event, form=form, count=count,
                           draft=draft, who=segments.describe(target.segments),
                           preview=message_mail.preview(draft.subject, campaign, event, draft.body, current_user.email))
