-- The write ceiling: a form POST that the hello app turns into one INSERT and a COMMIT.
wrk.method = "POST"
wrk.body = "note=written+by+wrk"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
