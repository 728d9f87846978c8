-- wrk script: number lookup, GET /verify/<full number>/ with a random certificate number per
-- request, from a file of printed numbers (CB-ITSM-000042-V1), one a line.
-- wrk -s bench/lookup.lua http://127.0.0.1:PORT -- numbers.txt
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

function init(args)
   load_paths(args, function(number) return "/verify/" .. urlencode(number) .. "/" end)
end
