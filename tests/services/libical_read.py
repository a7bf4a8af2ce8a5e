"""Read an iCalendar feed with libical, a parser independent of the icalendar library the app writes with.

Run by the system python3 (Debian's python3-gi and gir1.2-ical-3.0; `make libical`), not the project's
virtualenv, from tests/services/test_calendar_feed.py. Reads JSON on stdin: {"ics": text, "convert":
{tzid: [UTC instants]}}. Prints JSON: every VEVENT's start and end as seconds since the epoch, and each
instant as wall-clock time in the named zone, both as libical computes them from the feed's own VTIMEZONEs.
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ICal  # noqa: E402

request = json.loads(sys.stdin.read())
calendar = ICal.Component.new_from_string(request["ics"])
if calendar is None:
    sys.exit("libical could not parse the feed")
events = {}
event = calendar.get_first_component(ICal.ComponentKind.VEVENT_COMPONENT)
while event is not None:
    start, end = event.get_dtstart(), event.get_dtend()
    events[event.get_uid()] = [start.as_timet_with_zone(start.get_timezone()),
                               end.as_timet_with_zone(end.get_timezone())]
    event = calendar.get_next_component(ICal.ComponentKind.VEVENT_COMPONENT)
local = {}
for tzid, instants in request.get("convert", {}).items():
    zone = calendar.get_timezone(tzid)
    if zone is None:
        sys.exit(f"no VTIMEZONE {tzid} in the feed")
    local[tzid] = []
    for instant in instants:
        moment = ICal.Time.new_from_timet_with_zone(instant, False, zone)
        local[tzid].append(f"{moment.get_year():04d}-{moment.get_month():02d}-{moment.get_day():02d}"
                           f"T{moment.get_hour():02d}:{moment.get_minute():02d}")
print(json.dumps({"events": events, "local": local}))
