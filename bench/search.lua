-- wrk script: name search, GET /verify/?q=<text> with a random substring per request, from a
-- file of search texts (UTF-8, one a line: Chinese or Latin parts of client names).
-- wrk -s bench/search.lua http://127.0.0.1:PORT -- substrings.txt
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

function init(args)
   load_paths(args, function(text) return "/verify/?q=" .. urlencode(text) end)
end
