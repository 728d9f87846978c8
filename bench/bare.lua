-- wrk script: the bare baseline view; the same machinery as lookup.lua and search.lua (random
-- pick, status counting) so the per-request load-generator cost is identical.
-- wrk -s bench/bare.lua http://127.0.0.1:PORT -- <file with the line /bench/bare/>
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

function init(args)
   load_paths(args, function(line) return line end)
end
