-- RSVP POSTs: a real CSRF token and session cookie (fetched by the runner from the event page),
-- and a distinct supporter on every request.
-- args: path, cookie, body template (urlencoded, with the placeholders NAME, EMAIL and KEY), run tag
local counter = 0
local threads_made = 0
tid = 0  -- set per thread by setup()

function setup(thread)
  threads_made = threads_made + 1
  thread:set("tid", threads_made)
end

function init(args)
  path, cookie, template, tag = args[1], args[2], args[3], args[4]
end

function request()
  counter = counter + 1
  local id = tag .. "-" .. tid .. "-" .. counter
  local key = string.format("wrk-%s-%d-%012d", tag, tid, counter)  -- 22 to 64 of [A-Za-z0-9_-], like rsvp.js's
  local body = template:gsub("__EMAIL__", "wrk-" .. id .. "%%40example.org"):gsub("__NAME__", "Wrk+" .. id)
    :gsub("__KEY__", key)
  return wrk.format("POST", path, {
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
