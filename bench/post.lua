-- wrk script: POST the JSON body in $BODY_FILE with the bearer key in $KEY
-- (empty for servers without authentication, like the PostGraphile run).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("KEY") or ""
if key ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. key
end
local f = assert(io.open(os.getenv("BODY_FILE"), "r"))
wrk.body = f:read("*a")
f:close()
