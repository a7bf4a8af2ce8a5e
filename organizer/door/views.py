"""Door: the check-in list, walk-ins, crowd count, QR tickets and door links.

Who may use the door of an event is decided by services/door/access.py; the door link a browser opened
is kept here as ``session["door_link_id"]`` and checked again on every request, so revoking a link
works at once. Door pages show names only.
Check-in, undo, walk-in and crowd answer JSON to static/js/door.js and redirect without it.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from organizer.door import bp
from organizer.door.forms import CheckInForm, CrowdForm, DoorLinkForm, KeyedForm, WalkInForm, new_key
from organizer.extensions import db, login_manager
from organizer.formatting import event_time
from organizer.models import DoorLink, Event, Rsvp, RsvpStatus, User
from organizer.rendering import qr
from organizer.security import DOOR_PERMISSIONS_POLICY, MAX_ROUTE_INT
from organizer.services.common.errors import DomainError, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.door import access as door_access_rules
from organizer.services.door import checkins, door_links
from organizer.services.door import counts as door_counts
from organizer.services.door import crowd as crowd_counter
from organizer.services.door import listing as door_listing
from organizer.services.door.access import DoorAccess
from organizer.timeutil import utcnow
from organizer.views_common import event_or_404, require_two_factor_setup

SESSION_KEY = "door_link_id"
# The events this browser has kept the door of (the latest few): when its access ends there, by a
# revoked or expired link or a removed role, it is told so, where anyone else gets sign-in or 404.
DOORS_KEPT_KEY = "door_events"
DOORS_KEPT_MAX = 10


# --- who is at the door (the policy: services/door/access.py; the session's door link: here) ----


def _signed_in_user() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _session_link_id() -> int | None:
    link_id = session.get(SESSION_KEY)
    return link_id if door_links.is_link_id(link_id) else None


def _usable(link: DoorLink | None) -> DoorLink | None:
    if link is not None and not link.is_active():
        link = None
    if link is None and SESSION_KEY in session:
        session.pop(SESSION_KEY, None)  # revoked or expired: forget it
    return link


def _session_link() -> DoorLink | None:
    return _usable(door_links.active_by_id(session.get(SESSION_KEY)))


def door_access(event_id: int) -> DoorAccess:
    """Load the event and decide: member, door link of this event, "your access ended", sign-in
    redirect, or 404."""
    found = door_access_rules.event_and_link(event_id, _session_link_id())
    if found is None:  # no such event: the link alone decides between sign-in and 404
        return _decide(None, _signed_in_user(), _session_link())
    event, link = found
    return _decide(event, _signed_in_user(), _usable(link))


def _decide(event: Event | None, user: User | None, link: DoorLink | None) -> DoorAccess:
    access = door_access_rules.decide(event, user, link) if event is not None else None
    if event is not None and access is not None:
        if user is not None and link is None:
            require_two_factor_setup(event.campaign)
        _remember_door(event.id)
        return access
    if event is not None and event.id in session.get(DOORS_KEPT_KEY, ()):
        abort(_door_ended(user))
    if user is None and link is None:
        abort(login_manager.unauthorized())
    abort(404)


def _remember_door(event_id: int) -> None:
    kept = session.get(DOORS_KEPT_KEY)
    if not isinstance(kept, list) or not all(isinstance(number, int) for number in kept):
        kept = []
    if event_id not in kept:  # the session is written only when this changes
        session[DOORS_KEPT_KEY] = [*kept, event_id][-DOORS_KEPT_MAX:]


def _door_ended(user: User | None, status: int = 403):
    """The door is closed to this browser, which kept it: say so plainly (as JSON for door.js's
    taps), never a sign-in page (a door-link volunteer has no account) or a bare 404."""
    if user is None:
        message = _("This door link was turned off — ask the organizer for a new one.")
    else:
        message = _("You can no longer keep this door — ask the organizer to add you again.")
    if _wants_json():
        response = jsonify(ok=False, ended=True, message=message)
    else:
        response = make_response(render_template("door/ended.html", message=message))
    response.status_code = status
    return response


def door_access_and_rsvp(event_id: int, rsvp_id: int) -> tuple[DoorAccess, Rsvp]:
    """``door_access`` and the RSVP a tap is for (404 unless it belongs to the event)."""
    found = door_access_rules.event_rsvp_and_link(event_id, rsvp_id, _session_link_id())
    if found is None:  # no such event: decide as any other door page does
        door_access(event_id)
        abort(404)
    event, rsvp, link = found
    access = _decide(event, _signed_in_user(), _usable(link))
    if rsvp is None:
        abort(404)
    return access, rsvp


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _counts(event: Event) -> dict:
    return _counts_from(door_counts.attendance(event))


def _counts_from(figures: door_counts.Attendance) -> dict:
    return {
        # By persons: a party of four checked in as two and two counts two, then four.
        "checked_in": figures.checked_in_people,
        "going": figures.going_people,
        "walk_ins": figures.walk_ins,
        "crowd": figures.crowd,
    }


def tap_figures(event: Event, result: checkins.CheckInResult) -> dict:
    """What a tap's (or a scanned ticket's) answer says of the counts, read before the commit expires
    the RSVP: what this tap changed, not the figures recounted (a recount of a big event was most of
    a tap; door.js adds it to the figures it has, and /state brings everyone's taps every few
    seconds). A retry gets the figures themselves: the phone may or may not have counted its first
    delivery."""
    if result.retried:
        return {"counts": _counts(event)}
    return {"counts_change": result.counts_change()}


def _json_error(message: str, status: int):
    response = jsonify(ok=False, message=message)
    response.status_code = status
    return response


def _back_to_list(event: Event, anchor: str | None = None):
    url = url_for("door.door_list", event_id=event.id)
    if anchor:
        url += f"#{anchor}"
    return redirect(url, code=303)


# --- door list --------------------------------------------------------------------------------


def _render_door_list(access: DoorAccess, *, q: str = "", walk_in_form: WalkInForm | None = None,
                      crowd_form: CrowdForm | None = None, status: int = 200):
    q = (q or "").strip()[:120]
    page = door_listing.door_page(access.event, q, limit=current_app.config["DOOR_LIST_LIMIT"])
    results = {
        "event": access.event,
        "rows": page.rows,
        "total": format_number(page.total),
        "capped": page.capped,
        "q": q,
        "new_key": new_key,  # one per button, so a resubmitted form is recognised
    }
    if request.values.get("part") == "results" and status == 200:
        # What door.js asks for as someone types a name: the matches only, about a fifth of the
        # page, which matters on a phone with one bar of signal in a crowded hall.
        return render_template("door/_results.html", **results), status
    figures = door_counts.attendance(access.event)
    html = render_template(
        "door/list.html",
        access=access,
        figures=figures,
        counts=_counts_from(figures),
        walk_in_form=walk_in_form or WalkInForm(formdata=None),
        crowd_form=crowd_form or CrowdForm(formdata=None),
        **results,
    )
    return html, status, {"Permissions-Policy": DOOR_PERMISSIONS_POLICY}  # the ticket scanner


@bp.route("/door/e/<int:event_id>", methods=["GET", "POST"])
def door_list(event_id: int):
    access = door_access(event_id)
    # The name searched for comes only in a POST body (CSRF-checked like every POST), never from the
    # URL, so no access log, proxy or browser history keeps who was looked for at the door.
    return _render_door_list(access, q=request.form.get("q", "") if request.method == "POST" else "")


MAX_STATE_IDS = 200


@bp.get("/door/e/<int:event_id>/state")
def door_state(event_id: int):
    """Who of the names on a phone's screen is checked in now, and the counts: door.js asks every
    DOOR_REFRESH_SECONDS, so two phones at two doors see each other's taps."""
    access = door_access(event_id)
    raw = [part for part in (request.args.get("ids") or "").split(",") if part]
    # isascii: str.isdigit() also accepts "²", which int() refuses.
    if len(raw) > MAX_STATE_IDS or not all(part.isascii() and part.isdigit() and len(part) <= 12 for part in raw):
        return _json_error(_("Ask about at most %(num)s people, by their numbers.", num=MAX_STATE_IDS), 400)
    # An id past the database's integer range names nobody (PostgreSQL would refuse the comparison).
    ids = [number for number in map(int, raw) if number <= MAX_ROUTE_INT]
    states = door_listing.current_arrivals(access.event, ids)
    timezone = access.event.timezone
    return jsonify(
        counts=_counts(access.event),
        rows={str(rsvp_id): {"in": at is not None, "persons_in": persons, "at": event_time(at, timezone) if at else ""}
              for rsvp_id, (at, persons) in states.items()},
    )


@bp.get("/door/e/<int:event_id>/print")
def print_list(event_id: int):
    access = door_access(event_id)
    rows = door_listing.door_rows(access.event)
    return render_template("door/print.html", access=access, event=access.event, rows=rows,
                           figures=door_counts.attendance(access.event), now_utc=utcnow())


def _check_in_or_undo(event_id: int, rsvp_id: int, undo: bool):
    access, rsvp = door_access_and_rsvp(event_id, rsvp_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        if _wants_json():
            return _json_error(_("The page was open too long. Reload it and try again."), 400)
        abort(400)
    tapped_at = checkins.tap_time(request.form.get("tapped_ago"))
    try:
        if undo:
            result = checkins.undo(rsvp, actor_user=access.user, door_link=access.link,
                                   idempotency_key=form.idempotency_key.data, tapped_at=tapped_at)
        else:
            # How many of a party arrived now (a select on rows with guests); absent: all not yet in.
            result = checkins.check_in(rsvp, actor_user=access.user, door_link=access.link,
                                       idempotency_key=form.idempotency_key.data, tapped_at=tapped_at,
                                       persons=form.persons.data)
    except DomainError as error:
        db.session.rollback()
        if _wants_json():
            return _json_error(error.message, 409)
        flash(error.message, "error")
        return _back_to_list(access.event, f"rsvp-{rsvp.id}")
    # What the answer shows is read before the commit expires the objects (reloading took two queries).
    name, answered_id, wants_json = rsvp.name, rsvp.id, _wants_json()
    if wants_json:
        at = event_time(result.at, access.event.timezone) if result.checked_in and result.at else ""
        figures = tap_figures(access.event, result)
    else:
        back = _back_to_list(access.event, f"rsvp-{answered_id}")
    db.session.commit()
    if result.overtaken:
        message = _("Another phone changed %(name)s after this tap: that change stands.", name=name)
    elif result.checked_in and result.persons_in < result.party and result.changed:
        message = ngettext("%(name)s: %(num)s of %(party)s is in.", "%(name)s: %(num)s of %(party)s are in.",
                           result.persons_in, name=name, party=result.party)
    elif result.checked_in:
        message = _("%(name)s is checked in.", name=name) if result.changed else \
            _("%(name)s was already checked in.", name=name)
    else:
        message = _("Check-in of %(name)s undone.", name=name) if result.changed else \
            _("%(name)s is not checked in.", name=name)
    if wants_json:
        return jsonify(ok=True, rsvp_id=answered_id, checked_in=result.checked_in, changed=result.changed,
                       overtaken=result.overtaken, persons_in=result.persons_in, party=result.party,
                       last_step=result.last_step, at=at, message=message, **figures)
    flash(message, "success")
    if form.q.data:
        # Back to the search without putting it in a URL: the list is drawn as the answer to this
        # POST (a reload resends the same idempotency key, which changes nothing).
        return _render_door_list(access, q=form.q.data)
    return back


@bp.post("/door/e/<int:event_id>/rsvps/<int:rsvp_id>/check-in")
def check_in(event_id: int, rsvp_id: int):
    return _check_in_or_undo(event_id, rsvp_id, undo=False)


@bp.post("/door/e/<int:event_id>/rsvps/<int:rsvp_id>/undo")
def undo(event_id: int, rsvp_id: int):
    return _check_in_or_undo(event_id, rsvp_id, undo=True)


@bp.post("/door/e/<int:event_id>/walk-in")
def walk_in(event_id: int):
    access = door_access(event_id)
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            # A door link shows names only: it takes no email (services/door/checkins.py, walk_in).
            email = form.email.data or None if access.is_member else None
            result = checkins.walk_in(access.event, form.name.data, email,
                                      actor_user=access.user, door_link=access.link,
                                      idempotency_key=form.idempotency_key.data,
                                      tapped_at=checkins.tap_time(request.form.get("tapped_ago")))
        except ValidationFailed as error:
            db.session.rollback()
            target = getattr(form, error.field or "", None) or form.name
            target.errors = [*target.errors, error.message]
        except DomainError as error:
            db.session.rollback()
            form.name.errors = [*form.name.errors, error.message]
        else:
            db.session.commit()
            # The same words for a retried request: a walk-in is always a record of its own.
            message = _("Walk-in added and checked in: %(name)s.", name=result.rsvp.name)
            if _wants_json():
                return jsonify(ok=True, rsvp_id=result.rsvp.id, message=message, counts=_counts(access.event))
            flash(message, "success")
            return _back_to_list(access.event, anchor=f"rsvp-{result.rsvp.id}")
    if _wants_json():
        errors = [error for field in (form.name, form.email) for error in field.errors]
        return _json_error(" ".join(str(e) for e in errors) or _("Check the walk-in form."), 400)
    return _render_door_list(access, walk_in_form=form, status=400)


@bp.post("/door/e/<int:event_id>/crowd")
def crowd(event_id: int):
    access = door_access(event_id)
    form = CrowdForm()
    change = (form.change.data or "").strip()
    if form.validate_on_submit() and change in {"1", "10", "-1", "set"}:
        if change == "set" and form.count.data is None:
            form.count.errors = [_("Enter the number of people you counted.")]
        else:
            try:
                if change == "set":
                    result = crowd_counter.set_to(access.event, form.count.data, actor_user=access.user,
                                             door_link=access.link, idempotency_key=form.idempotency_key.data)
                else:
                    result = crowd_counter.add(access.event, int(change), actor_user=access.user,
                                          door_link=access.link, idempotency_key=form.idempotency_key.data)
            except DomainError as error:
                db.session.rollback()
                form.count.errors = [error.message]
            else:
                db.session.commit()
                message = _("Crowd count: %(count)s.", count=result.count)
                if _wants_json():
                    return jsonify(ok=True, crowd=result.count, changed=result.changed, message=message,
                                   counts=_counts(access.event))
                flash(message, "success")
                return _back_to_list(access.event, anchor="crowd")
    elif change not in {"1", "10", "-1", "set"} and not form.errors:
        form.count.errors = [_("Choose +1, +10, \u22121 or set a number.")]
    if _wants_json():
        errors = ([str(error) for error in form.count.errors]
                  or [_("The page was open too long. Reload it and try again.")])
        return _json_error(" ".join(errors), 400)
    return _render_door_list(access, crowd_form=form, status=400)


# --- door links -------------------------------------------------------------------------------


@bp.get("/door/<token>")
def open_link(token: str):
    link = door_links.find_active(token)
    if link is None:
        if door_links.find_ended(token) is not None:
            return _door_ended(None, status=410)
        abort(404)
    session[SESSION_KEY] = link.id
    session.permanent = True
    _remember_door(link.event_id)
    return redirect(url_for("door.door_list", event_id=link.event_id), code=303)


@bp.route("/manage/e/<int:event_id>/door-links", methods=["GET", "POST"])
@login_required
def links(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_DOOR_LINKS)
    form = DoorLinkForm()
    new_link = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                link, token = door_links.create(event, form.label.data or "", current_user._get_current_object())
            except ValidationFailed as error:
                db.session.rollback()
                form.label.errors = [*form.label.errors, error.message]
                status = 400
            else:
                db.session.commit()
                url = current_app.config["BASE_URL"] + url_for("door.open_link", token=token)
                # The token is not stored: this is the only time the link can be shown.
                new_link = {"link": link, "url": url, "qr": qr.qr_svg(url, title=_("QR code of the door link"))}
                form = DoorLinkForm(formdata=None)
        else:
            status = 400
    return render_template("door/links.html", event=event, form=form, links=door_links.for_event(event),
                           new_link=new_link, revoke_form=KeyedForm(formdata=None)), status


@bp.post("/manage/e/<int:event_id>/door-links/<int:link_id>/revoke")
@login_required
def revoke_link(event_id: int, link_id: int):
    event = event_or_404(event_id, Action.MANAGE_DOOR_LINKS)
    link = door_links.link_of_event(event, link_id)
    if link is None:
        abort(404)
    form = KeyedForm()
    if not form.validate_on_submit():
        abort(400)
    if door_links.revoke(link, current_user._get_current_object()):
        flash(_("Door link revoked: it stops working now."), "success")
    db.session.commit()
    return redirect(url_for("door.links", event_id=event.id), code=303)


# --- QR tickets -------------------------------------------------------------------------------


@bp.route("/t/<token>", methods=["GET", "POST"])
def ticket(token: str):
    user = _signed_in_user()
    link = _session_link()
    if user is None and link is None:
        return login_manager.unauthorized()
    rsvp = door_access_rules.rsvp_by_ticket(token)
    access = door_access_rules.decide(rsvp.event, user, link) if rsvp is not None else None
    if rsvp is None or access is None or rsvp.status is not RsvpStatus.GOING:
        return render_template("door/ticket_invalid.html"), 404

    form = CheckInForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            result = checkins.check_in(rsvp, actor_user=access.user, door_link=access.link,
                                       idempotency_key=form.idempotency_key.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            if result.changed:
                flash(_("%(name)s is checked in.", name=rsvp.name), "success")
            else:
                flash(_("%(name)s was already checked in.", name=rsvp.name), "warning")
        return redirect(url_for("door.ticket", token=token), code=303)

    entry = checkins.latest_entry(rsvp)
    checked_in = entry is not None and entry.action.value == "check_in"
    return render_template("door/ticket.html", access=access, event=rsvp.event, rsvp=rsvp,
                           checked_in=checked_in,
                           checked_in_at=entry.created_at if entry is not None and checked_in else None,
                           form=CheckInForm(formdata=None))
