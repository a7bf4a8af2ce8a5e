-- Check-in POSTs at the door: a door-link session (cookie and CSRF token fetched by the runner),
-- each request checks in a different RSVP that is not checked in yet.
-- args: path template (with __ID__), cookie, body template (with __KEY__ for an idempotency key),
--       file with one RSVP id a line, run tag, number of threads, content type
-- Like static/js/door.js: the form urlencoded (URLSearchParams), asking for JSON (the answer says what the tap changed).
local ids = {}
local position = 0
local nthreads = 1
local threads_made = 0
tid = 0  -- set per thread by setup()

function setup(thread)
  threads_made = threads_made + 1
  thread:set("tid", threads_made)
end

function init(args)
  path, cookie, template, idfile, tag = args[1], args[2], args[3], args[4], args[5]
  nthreads = tonumber(args[6]) or 1
  content_type = args[7] or "application/x-www-form-urlencoded"
  for line in io.lines(idfile) do
    ids[#ids + 1] = line
  end
  position = tid
end

function request()
  local id = ids[position]
  if id == nil then
    -- ran out of fresh RSVPs: start over (the runner sizes the list so this does not happen)
    position = tid
    id = ids[position]
  end
  position = position + nthreads
  local body = template:gsub("__KEY__", tag .. "-" .. tid .. "-" .. position)
  return wrk.format("POST", path:gsub("__ID__", id), {
    ["Cookie"] = cookie,
    ["Content-Type"] = content_type,
    ["Accept"] = "application/json",
  }, body)
end
