-- wrk script for bench/thumbnail.sh: every request POSTs the image file named by THUMBNAIL_BODY
-- (read once per wrk thread), on kept-alive connections; the URL carries the query string.
local f = assert(io.open(assert(os.getenv("THUMBNAIL_BODY"), "set THUMBNAIL_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
