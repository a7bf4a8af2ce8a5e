"""``flask --app organizer ...`` commands: users, demo data, the outbox worker, retention, the RSVP tally."""

from __future__ import annotations

import logging
import signal
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from organizer import demo, worker
from organizer.extensions import db
from organizer.services.accounts import accounts
from organizer.services.common.errors import DomainError, NotFound
from organizer.services.mail import limits as mail_limits
from organizer.services.privacy import retention
from organizer.services.reminders import followups, reminders
from organizer.services.rsvp import tally

outbox_log = logging.getLogger("organizer.outbox")
users_cli = AppGroup("users", help="Manage organizer accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The name shown to other organizers.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", is_flag=True, help="Site administrator: acts as owner of every campaign.")
def create_user_command(email: str, name: str, password_stdin: bool, admin: bool) -> None:
    """Create an account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, name, password, is_admin=admin)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.email}{' (admin)' if admin else ''}.")


@click.command("demo")
def demo_command() -> None:
    """Load the demo campaign (idempotent)."""
    created = demo.load_demo()
    db.session.commit()
    click.echo("Demo data loaded." if created else "Demo data already present.")


outbox_cli = AppGroup("outbox", help="The email outbox.")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running: send what is due every --interval seconds.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between rounds with --loop.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1),
              help="At most this many messages per round.")
def outbox_send_command(loop: bool, interval: float, limit: int) -> None:
    """Send the emails that are due (once, or in a loop with --loop)."""
    config = current_app.config
    if not loop:
        try:
            report = _send_round(limit)
        except Exception as error:
            raise click.ClickException(f"Outbox: {error}") from error
        click.echo(f"Outbox: {report.sent} sent, {report.retrying} to retry, {report.failed} failed.")
        return

    backend = config.get("MAIL_BACKEND", "")
    where = {"file": config.get("MAIL_FILE_DIR"),
             "smtp": f"{config.get('MAIL_SERVER')}:{config.get('MAIL_PORT')}"}.get(backend)
    click.echo(f"Outbox: sending every {interval:g}s through {backend}{f' ({where})' if where else ''}. "
               "Ctrl+C to stop.")
    # SIGTERM (make run's Ctrl+C, a service manager) lets the current round finish marking what it
    # sent, so stopping never lands between the mail server's "OK" and the mark-sent commit.
    stopping: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    next_retention = next_reminders = 0.0
    try:
        while not stopping:
            if time.monotonic() >= next_retention:
                next_retention = time.monotonic() + RETENTION_EVERY_SECONDS
                _retention_round()
            if time.monotonic() >= next_reminders:
                next_reminders = time.monotonic() + REMINDERS_EVERY_SECONDS
                _reminders_round()
            more_waiting = False
            try:
                report = _send_round(limit)
            except Exception as error:  # noqa: BLE001 - the database briefly away: say so, keep going
                # The class only: a driver's message can quote the statement's values.
                outbox_log.warning("outbox round failed: %s", type(error).__name__, exc_info=False)
            else:
                if report.attempted:
                    outbox_log.info("outbox round: %s sent, %s to retry, %s failed", report.sent, report.retrying,
                                    report.failed, extra={"sent": report.sent, "retrying": report.retrying,
                                                          "failed": report.failed})
                # A full round means more is probably due: a message to 10,000 people goes out at the
                # worker's pace, not --limit mails every --interval seconds.
                more_waiting = report.attempted >= limit
            if not more_waiting:
                _sleep_unless_stopped(interval, stopping)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


RETENTION_EVERY_SECONDS = 3600  # forgetting is due by the day: once an hour is on time


def _retention_round() -> None:
    """The worker also forgets supporters on schedule, so no separate cron job is needed."""
    try:
        report = retention.run()
        db.session.commit()
    except Exception as error:  # noqa: BLE001 (the database briefly away, or anything else: log it, the next round tries again)
        db.session.rollback()
        current_app.logger.warning("retention round failed: %s", error)
    else:
        if report.rsvps:
            click.echo(f"Retention: {report.rsvps} RSVPs at {report.events} events forgotten.")


REMINDERS_EVERY_SECONDS = 60  # reminders and follow-ups are due by the hour: a minute late is on time


def _reminders_round() -> None:
    """The worker also writes the reminders and follow-ups that are due (each claimed once, however many
    workers run), so nothing else needs scheduling; the rounds after it send them."""
    try:
        written = reminders.run_due() + followups.run_due()
    except Exception as error:  # noqa: BLE001 (the database briefly away: the next round tries again)
        db.session.rollback()
        outbox_log.warning("reminders round failed: %s", type(error).__name__)
    else:
        if written:
            outbox_log.info("reminders round: %s mails written", written, extra={"written": written})
    finally:
        db.session.remove()


def _send_round(limit: int):
    try:
        mail_limits.purge()  # quota windows that have passed: even their keyed hashes are not kept
        db.session.commit()
        return worker.send_pending(current_app.config, limit=limit)
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()


def _sleep_unless_stopped(seconds: float, stopping: list[int]) -> None:
    waited = 0.0
    while waited < seconds and not stopping:
        step = min(0.2, seconds - waited)
        time.sleep(step)
        waited += step


retention_cli = AppGroup("retention", help="Forgetting supporters on each campaign's schedule.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only count what would be forgotten.")
def retention_run_command(dry_run: bool) -> None:
    """Forget the supporters whose campaign's retention period after their event has run out."""
    report = retention.run(dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo(f"Retention (dry run): {report.rsvps} RSVPs at {report.events} events would be forgotten.")
    else:
        db.session.commit()
        click.echo(f"Retention: {report.rsvps} RSVPs at {report.events} events forgotten.")


tally_cli = AppGroup("tally", help="Each event's places taken (rsvp_tally) against its RSVP rows.")


def _describe(found: tally.Disagreement, says: str = "says") -> str:
    return (f"event {found.event_id} ({found.slug}): the tally {says} {found.kept.going_people} going and "
            f"{found.kept.waitlisted_rsvps} waiting, its RSVPs {found.counted.going_people} going and "
            f"{found.counted.waitlisted_rsvps} waiting")


@tally_cli.command("check")
def tally_check_command() -> None:
    """List the events whose tally disagrees with their RSVPs; exit status 1 when there is one."""
    found = tally.check()
    for item in found:
        click.echo(_describe(item))
    if found:
        raise click.exceptions.Exit(1)
    click.echo("Every event's tally agrees with its RSVPs.")


@tally_cli.command("repair")
def tally_repair_command() -> None:
    """Write each disagreeing event's tally from its RSVP rows, one event and one commit at a time."""
    event_ids = [item.event_id for item in tally.disagreements()]
    db.session.rollback()
    mended = 0
    for event_id in event_ids:
        try:
            found = tally.repair(event_id)
        except NotFound:
            db.session.rollback()
            click.echo(f"event {event_id}: deleted meanwhile, left out")
            continue
        db.session.commit()
        if found is not None:
            mended += 1
            click.echo("mended " + _describe(found, says="said"))
    click.echo(f"Tally: {mended} event{'' if mended == 1 else 's'} mended.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(tally_cli)
