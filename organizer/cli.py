"""``flask --app organizer ...`` commands: users, demo data, the outbox worker."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from organizer.extensions import db

users_cli = AppGroup("users", help="Manage organizer accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The name shown to other organizers.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", is_flag=True, help="Site administrator: acts as owner of every campaign.")
def create_user_command(email: str, name: str, password_stdin: bool, admin: bool) -> None:
    """Create an account."""
    from organizer.services import accounts
    from organizer.services.errors import DomainError

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
    from organizer.services import demo

    created = demo.load_demo()
    db.session.commit()
    click.echo("Demo data loaded." if created else "Demo data already present.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
