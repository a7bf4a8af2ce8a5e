"""Reports: turnout dashboards, exports (streamed, audited) and the audit page."""

from __future__ import annotations

import json

from babel.dates import format_date
from flask import Response, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from organizer.extensions import db
from organizer.formatting import short_date
from organizer.models import AccessKind, Event, Role, Segment
from organizer.rendering import charts
from organizer.reports import bp
from organizer.reports.forms import COLUMN_LABELS, ExportForm
from organizer.services.campaigns import invitations, referrals
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.messaging import messages, segments
from organizer.services.privacy import access_log
from organizer.services.reports import export_files, export_spec, export_xlsx, exports, turnout
from organizer.templating import text_direction
from organizer.views_common import campaign_or_404, event_or_404


@bp.get("/e/<int:event_id>/turnout")
@login_required
def event_turnout(event_id: int):
    event = event_or_404(event_id, Action.VIEW_ATTENDEES)
    report = turnout.event_turnout(event)
    chart = None
    if report.timeline:
        labels = [_short_day(day.day) for day in report.timeline]
        chart = charts.line_chart(
            labels,
            [(_("RSVPs received"), [day.total for day in report.timeline])],
            title=_("RSVPs over time for %(title)s", title=event.title),
            desc=_("%(total)s RSVPs received online between %(first)s and %(last)s.",
                   total=report.timeline[-1].total, first=labels[0], last=labels[-1]),
            rtl=text_direction() == "rtl",
        )
    sources = referrals.counts_by_source([event], event.campaign)[event.id]
    sources = sources if referrals.has_any(sources) else []  # a campaign that shares no codes sees nothing new
    return render_template("reports/event_turnout.html", event=event, campaign=event.campaign, report=report,
                           chart=chart, percent=turnout.percent, sources=sources)


@bp.get("/c/<slug>/turnout")
@login_required
def campaign_turnout(slug: str):
    campaign = campaign_or_404(slug, Action.VIEW_ATTENDEES)
    rows = turnout.campaign_turnout(campaign)
    chart = None
    if rows:
        chart = charts.bar_chart(
            [row.event.title for row in rows],
            [
                (_("Going"), [row.attendance.going_people for row in rows]),
                (_("Checked in"), [row.attendance.named_people for row in rows]),
                (_("Crowd count"), [row.attendance.crowd for row in rows]),
            ],
            title=_("RSVPs and attendance per event in %(name)s", name=campaign.name),
            desc=_("For each of %(count)s events: people going, people checked in by name (walk-ins "
                   "included) and the crowd count.", count=len(rows)),
            rtl=text_direction() == "rtl",
        )
    sources = referrals.campaign_totals(referrals.counts_by_source([row.event for row in rows], campaign)) \
        if rows else []
    sources = sources if referrals.has_any(sources) else []
    return render_template("reports/campaign_turnout.html", campaign=campaign, rows=rows, chart=chart,
                           percent=turnout.percent, sources=sources)


def _short_day(day) -> str:
    return format_date(day, format="d MMM", locale=get_locale())


# --- exports ----------------------------------------------------------------------------------


def _export_form(campaign) -> tuple[ExportForm, dict[str, Event]]:
    form = ExportForm()
    events = list(db.session.scalars(
        db.select(Event).where(Event.campaign_id == campaign.id).order_by(Event.starts_at.desc(), Event.id.desc())
    ))
    form.target.choices = [SelectChoice("campaign", _("Everyone in the campaign (one row per person)"))] + [
        SelectChoice(str(event.id), _("%(title)s, %(date)s", title=event.title, date=_short_event_date(event)))
        for event in events
    ]
    if request.method == "GET" and not form.target.data:
        wanted = request.args.get("event", type=int)
        form.target.data = str(wanted) if wanted and any(e.id == wanted for e in events) else "campaign"
    return form, {str(event.id): event for event in events}


def _short_event_date(event: Event) -> str:
    return short_date(event.starts_at, event.timezone)


@bp.route("/c/<slug>/export", methods=["GET", "POST"])
@login_required
def export(slug: str):
    campaign = campaign_or_404(slug, Action.EXPORT)
    form, events = _export_form(campaign)
    if form.validate_on_submit():
        columns = export_spec.PRESETS.get(form.preset.data) or form.columns.data or []
        try:
            spec = export_spec.make_spec(
                campaign,
                event=events.get(form.target.data) if form.target.data != "campaign" else None,
                statuses=form.statuses.data or [],
                checked_in=form.checked_in.data,
                consent_only=form.consent_only.data,
                columns=columns,
                file_format=form.file_format.data,
            )
        except ValidationFailed as error:
            target = getattr(form, error.field or "", None) or form.target
            target.errors = [*list(target.errors), error.message]
        else:
            prepared = exports.start(campaign, current_user._get_current_object(), spec)
            try:
                db.session.commit()  # the audit record is saved before the first byte leaves
                response = _attachment(prepared)
            except BaseException:
                prepared.close()
                raise
            response.call_on_close(prepared.close)  # read to the end or not
            return response
    status = 400 if request.method == "POST" else 200
    return render_template("reports/export.html", campaign=campaign, form=form, column_labels=COLUMN_LABELS,
                           presets=export_spec.PRESETS), status


def _attachment(prepared: exports.PreparedExport) -> Response:
    if prepared.spec.file_format == "xlsx":
        handle = export_xlsx.write_xlsx(prepared)
        handle.seek(0, 2)
        length = handle.tell()
        handle.seek(0)
        response = Response(export_files.file_chunks(handle),
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.content_length = length
    else:
        response = Response(stream_with_context(export_files.csv_chunks(prepared)), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{prepared.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def kind_labels() -> dict[str, str]:
    return {
        AccessKind.EXPORT: _("Export"),
        AccessKind.MESSAGE: _("Message sent"),
        AccessKind.LIST_VIEW: _("Looked at the RSVP list"),
        AccessKind.DOOR_LINK_MADE: _("Door link made"),
        AccessKind.DOOR_LINK_REVOKED: _("Door link turned off"),
        AccessKind.ROLE_CHANGED: _("Role changed"),
        AccessKind.MEMBER_JOINED: _("Member joined"),
        AccessKind.MEMBER_REMOVED: _("Member removed"),
        AccessKind.INVITATION_SENT: _("Invitation sent"),
        AccessKind.INVITATION_WITHDRAWN: _("Invitation withdrawn"),
        AccessKind.RETENTION_RUN: _("Automatic forgetting"),
        AccessKind.SUPPORTER_DELETED: _("Supporter deleted their RSVP"),
    }


def _describe_segments(values: str) -> str:
    """A message entry's segments ("going,waitlisted") in words."""
    return segments.describe([Segment(value) for value in values.split(",") if value in set(Segment)])


@bp.get("/c/<slug>/audit")
@login_required
def audit(slug: str):
    """The access log. Filters come from the query string: a kind and a member's email, never a
    supporter's (the log holds none), and the access log never writes query strings down."""
    campaign = campaign_or_404(slug, Action.VIEW_AUDIT)
    labels = kind_labels()
    kind = request.args.get("kind") or ""
    kind = kind if kind in labels else ""
    people = access_log.people(campaign)
    person = request.args.get("person") or ""
    person = person if any(p.key == person for p in people) else ""
    page = request.args.get("page", 1, type=int) or 1
    log_page = access_log.entries(campaign, kind=kind or None, person=person or None, page=page)
    deliveries = messages.delivery_counts([entry.message_id for entry in log_page.entries if entry.message_id])
    return render_template("reports/audit.html", campaign=campaign, log=log_page, kind=kind, person=person,
                           people=people, kind_labels=labels, deliveries=deliveries,
                           describe_segments=_describe_segments,
                           role_names={role.value: invitations.role_name(role) for role in Role},
                           column_labels={**export_spec.EVENT_COLUMNS, **export_spec.CAMPAIGN_COLUMNS})


@bp.app_template_filter("export_filters")
def export_filters(filters_json: str) -> str:
    """The filters of an audit record in words; "" for a record whose filters can't be read
    (a template prints a returned None as the word "None")."""
    try:
        filters = json.loads(filters_json or "{}")
    except ValueError:
        return ""
    if not isinstance(filters, dict):
        return ""
    parts = []
    statuses = filters.get("status")
    statuses = [status for status in statuses if isinstance(status, str)] if isinstance(statuses, list) else []
    if statuses:
        names = {"going": _("going"), "waitlisted": _("waiting list"), "cancelled": _("cancelled")}
        parts.append(", ".join(str(names.get(status, status)) for status in statuses))
    checked = filters.get("checked_in")
    if checked == "yes":
        parts.append(_("checked in only"))
    elif checked == "no":
        parts.append(_("not checked in only"))
    if filters.get("consent_to_contact") == "yes":
        parts.append(_("consented to contact only"))
    return "; ".join(parts)
