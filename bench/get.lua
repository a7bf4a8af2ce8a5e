-- Plain GETs; optional args: a Cookie header value.
function init(args)
  if args[1] and args[1] ~= "" then
    wrk.headers["Cookie"] = args[1]
  end
end
