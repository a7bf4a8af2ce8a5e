"""The public API's documents as marshmallow schemas: what each response holds, from which the
OpenAPI description is generated (organizer/api/openapi.py), so the two cannot drift apart.

No field names a person: no members, no RSVPs, no article authors (issue 13: no personal data).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate


def _text(description: str, **kwargs) -> fields.String:
    return fields.String(required=True, metadata={"description": description}, **kwargs)


class ErrorSchema(Schema):
    error = _text("A short name of the error.")
    message = _text("What went wrong, in words, in the visitor's language.")


class ArticleSchema(Schema):
    id = fields.Integer(required=True)
    url = _text("The article's own address.")
    headline = _text("The headline.")
    outlet = _text("The newspaper, site or broadcaster that published it (may be empty).")
    published_on = fields.Date(required=True, allow_none=True, metadata={"description": "Publication date."})
    excerpt = _text("A short excerpt chosen by the organizers (may be empty).")
    language = _text("The article's language (a BCP 47 code such as en or ar).")


class LinkedArticleSchema(Schema):
    relation = _text("prompted_by: the news behind the meeting; report: coverage of it afterwards.",
                     validate=validate.OneOf(["prompted_by", "report"]))
    article = fields.Nested(ArticleSchema, required=True)


class SecondVersionSchema(Schema):
    language = _text("The language of this version.")
    title = _text("The title in that language.")
    description = _text("The description in that language (Markdown).")


class EventSchema(Schema):
    slug = _text("The event's address on this site: /e/{slug}.")
    campaign = _text("The slug of the campaign that holds the event.")
    title = _text("The title.")
    description = _text("The description, in Markdown.")
    language = _text("The language of title and description (empty: the site's default).")
    second_version = fields.Nested(SecondVersionSchema, required=True, allow_none=True,
                                   metadata={"description": "The same texts in a second language, if written."})
    status = _text("cancelled events stay listed so that copies can be updated.",
                   validate=validate.OneOf(["published", "cancelled"]))
    starts_at = fields.DateTime(required=True, metadata={"description": "Start, with the event zone's UTC offset."})
    ends_at = fields.DateTime(required=True, metadata={"description": "End, with the event zone's UTC offset."})
    timezone = _text("The IANA zone of the event, e.g. Europe/London.")
    venue_name = _text("The venue (empty when none, or when the organizers keep the place for people coming).")
    address = _text("The street address (empty when none, or kept for people coming).")
    city = _text("The city (may be empty).")
    country = _text("The country (may be empty).")
    online_url = _text("A link to join online (empty when none, or kept for people coming).")
    online = fields.Boolean(required=True, metadata={"description": "Can be joined online, link shown or not."})
    url = _text("The public page of the event, where people RSVP.")
    coverage = fields.List(fields.Nested(LinkedArticleSchema), required=True,
                           metadata={"description": "The news behind the meeting first, then reports."})


class CampaignSchema(Schema):
    slug = _text("The campaign's address on this site: /c/{slug}.")
    name = _text("The campaign's name.")
    summary = _text("One line about the campaign (may be empty).")
    description = _text("The description, in Markdown (may be empty).")
    timezone = _text("The campaign's usual IANA zone.")
    url = _text("The public page of the campaign.")
    embed_url = _text("A page of its upcoming meetings that any site may show in an iframe.")
    events_url = _text("This API's list of the campaign's events.")
    coverage_url = _text("This API's list of the campaign's articles.")


def _page(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(required=True, allow_none=True, metadata={
            "description": "Pass as ?cursor= for the next page; null on the last page."}),
    }, name=name)


CampaignPageSchema = _page(CampaignSchema, "CampaignPage")
EventPageSchema = _page(EventSchema, "EventPage")
ArticlePageSchema = _page(ArticleSchema, "ArticlePage")
