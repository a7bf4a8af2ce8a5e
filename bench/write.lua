-- The write ceiling: a form POST that the hello app turns into one INSERT and a COMMIT.
-- args (optional): a session cookie and its CSRF token, sent with every request (the guarded app in hello.py).
wrk.method = "POST"
wrk.body = "note=written+by+wrk"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function init(args)
  if args[1] then
    wrk.headers["Cookie"] = args[1]
    wrk.body = wrk.body .. "&csrf_token=" .. args[2]
  end
end
