from __future__ import annotations

import pytest

from organizer.extensions import db
from organizer.models import Membership, Role
from organizer.services.campaigns import campaigns
from organizer.services.campaigns.campaigns import CampaignInput
from organizer.services.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests import builders


def test_creator_becomes_owner_and_slug_comes_from_the_name():
    user = builders.make_user()
    campaign = campaigns.create_campaign(user, CampaignInput(name="  Syria Solidarity! ", summary="With Syria"))
    assert campaign.slug == "syria-solidarity"
    assert campaign.name == "Syria Solidarity!"
    membership = db.session.scalar(db.select(Membership).where(Membership.campaign_id == campaign.id))
    assert (membership.user_id, membership.role) == (user.id, Role.OWNER)


def test_slugs_stay_unique():
    user = builders.make_user()
    first = campaigns.create_campaign(user, CampaignInput(name="Syria Solidarity"))
    second = campaigns.create_campaign(user, CampaignInput(name="Syria solidarity"))
    third = campaigns.create_campaign(user, CampaignInput(name="Syria  Solidarity"))
    assert [first.slug, second.slug, third.slug] == ["syria-solidarity", "syria-solidarity-2", "syria-solidarity-3"]


def test_a_name_in_arabic_gets_an_arabic_slug_and_one_without_letters_still_gets_one():
    campaign = campaigns.create_campaign(builders.make_user(), CampaignInput(name="سوريا"))
    assert campaign.slug == "سوريا"  # readable in its own script (issue 11.8)
    assert campaigns.create_campaign(builders.make_user(), CampaignInput(name="!!!")).slug == "item"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 161}, "name"),
        ({"summary": "x" * 301}, "summary"),
        ({"default_timezone": "Mars/Olympus"}, "default_timezone"),
        ({"default_city": "x" * 121}, "default_city"),
    ],
)
def test_invalid_campaign_input_names_the_field(overrides, field):
    data = CampaignInput(name="Syria Solidarity")
    for key, value in overrides.items():
        setattr(data, key, value)
    with pytest.raises(ValidationFailed) as caught:
        campaigns.create_campaign(builders.make_user(), data)
    assert caught.value.field == field


def test_anonymous_cannot_create():
    from flask_login import AnonymousUserMixin

    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(AnonymousUserMixin(), CampaignInput(name="X"))


def test_only_owners_edit_the_campaign():
    owner = builders.make_user()
    organizer = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    builders.make_membership(campaign, organizer, Role.ORGANIZER)
    with pytest.raises(PermissionDenied):
        campaigns.update_campaign(organizer, campaign, CampaignInput(name="Renamed"))
    campaigns.update_campaign(owner, campaign, CampaignInput(name="Renamed", default_city="Leeds"))
    assert (campaign.name, campaign.default_city) == ("Renamed", "Leeds")


def test_editing_keeps_the_slug():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner, slug="syria")
    campaigns.update_campaign(owner, campaign, CampaignInput(name="Something else"))
    assert campaign.slug == "syria"


def test_campaigns_for_lists_memberships_and_admins_see_all():
    owner = builders.make_user()
    door = builders.make_user()
    admin = builders.make_user(is_admin=True)
    mine = builders.make_campaign(owner=owner, name="B campaign")
    other = builders.make_campaign(owner=builders.make_user(), name="A campaign")
    builders.make_membership(mine, door, Role.DOOR)
    assert campaigns.campaigns_for(owner) == [(mine, Role.OWNER)]
    assert campaigns.campaigns_for(door) == [(mine, Role.DOOR)]
    assert campaigns.campaigns_for(admin) == [(other, Role.OWNER), (mine, Role.OWNER)]
    assert campaigns.campaigns_for(builders.make_user()) == []


def test_owner_adds_a_member_by_email():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    newcomer = builders.make_user("newcomer@example.org", name="New Comer")
    membership = campaigns.add_member(owner, campaign, "  NewComer@Example.org ", "coordinator")
    assert (membership.user_id, membership.role) == (newcomer.id, Role.COORDINATOR)
    assert [m.user.email for m in campaigns.members(campaign)] == [owner.email, "newcomer@example.org"]


def test_adding_an_unknown_email_says_so():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    with pytest.raises(NotFound, match="no account with this email"):
        campaigns.add_member(owner, campaign, "nobody@example.org", Role.DOOR)


def test_adding_twice_is_a_conflict():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    member = builders.make_user()
    campaigns.add_member(owner, campaign, member.email, Role.DOOR)
    with pytest.raises(Conflict):
        campaigns.add_member(owner, campaign, member.email, Role.ORGANIZER)


def test_adding_with_a_bad_email_or_role_is_refused():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    member = builders.make_user()
    with pytest.raises(ValidationFailed):
        campaigns.add_member(owner, campaign, "not an email", Role.DOOR)
    with pytest.raises(ValidationFailed) as caught:
        campaigns.add_member(owner, campaign, member.email, "superuser")
    assert caught.value.field == "role"


@pytest.mark.parametrize("role", [Role.ORGANIZER, Role.COORDINATOR, Role.DOOR])
def test_only_owners_manage_members(role):
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    actor = builders.make_user()
    membership = builders.make_membership(campaign, actor, role)
    other = builders.make_user()
    with pytest.raises(PermissionDenied):
        campaigns.add_member(actor, campaign, other.email, Role.DOOR)
    with pytest.raises(PermissionDenied):
        campaigns.change_role(actor, campaign, membership, Role.OWNER)
    with pytest.raises(PermissionDenied):
        campaigns.remove_member(actor, campaign, membership)


def test_members_of_another_campaign_are_not_found():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    elsewhere = builders.make_campaign(owner=builders.make_user())
    foreign = builders.make_membership(elsewhere, builders.make_user(), Role.DOOR)
    with pytest.raises(NotFound):
        campaigns.get_membership(campaign, foreign.id)
    with pytest.raises(NotFound):
        campaigns.change_role(owner, campaign, foreign, Role.ORGANIZER)
    with pytest.raises(NotFound):
        campaigns.remove_member(owner, campaign, foreign)


def test_change_role_and_remove():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    member = builders.make_membership(campaign, builders.make_user(), Role.DOOR)
    campaigns.change_role(owner, campaign, member, "organizer")
    assert member.role is Role.ORGANIZER
    campaigns.remove_member(owner, campaign, member)
    db.session.commit()
    assert db.session.get(Membership, member.id) is None


def test_the_last_owner_can_be_neither_demoted_nor_removed():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    own = db.session.scalar(db.select(Membership).where(Membership.user_id == owner.id))
    with pytest.raises(Conflict, match="at least one owner"):
        campaigns.change_role(owner, campaign, own, Role.ORGANIZER)
    with pytest.raises(Conflict, match="last owner"):
        campaigns.remove_member(owner, campaign, own)
    assert own.role is Role.OWNER


def test_with_two_owners_one_may_step_down():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    second = builders.make_membership(campaign, builders.make_user(), Role.OWNER)
    own = db.session.scalar(db.select(Membership).where(Membership.user_id == owner.id))
    assert not campaigns.is_last_owner(campaign, own) and not campaigns.is_last_owner(campaign, second)
    campaigns.change_role(owner, campaign, own, Role.ORGANIZER)
    assert own.role is Role.ORGANIZER
    # Now `second` is the last owner.
    assert campaigns.is_last_owner(campaign, second) and not campaigns.is_last_owner(campaign, own)
    with pytest.raises(PermissionDenied):
        campaigns.remove_member(owner, campaign, second)
    with pytest.raises(Conflict):
        campaigns.remove_member(second.user, campaign, second)


def test_a_site_admin_is_not_counted_as_an_owner():
    owner = builders.make_user()
    admin = builders.make_user(is_admin=True)
    campaign = builders.make_campaign(owner=owner)
    own = db.session.scalar(db.select(Membership).where(Membership.user_id == owner.id))
    with pytest.raises(Conflict):
        campaigns.remove_member(admin, campaign, own)


def test_a_new_campaign_without_a_zone_gets_the_configured_default_and_an_edit_keeps_its_own(app, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "America/Argentina/Buenos_Aires")
    owner = builders.make_user()
    campaign = campaigns.create_campaign(owner, CampaignInput(name="Solidaridad"))
    assert campaign.default_timezone == "America/Argentina/Buenos_Aires"
    campaigns.update_campaign(owner, campaign, CampaignInput(name="Solidaridad", default_timezone="Asia/Beirut"))
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "UTC")
    campaigns.update_campaign(owner, campaign, CampaignInput(name="Renamed"))
    assert campaign.default_timezone == "Asia/Beirut"
