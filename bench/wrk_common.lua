-- Shared by bench/bare.lua, bench/lookup.lua and bench/search.lua (wrk 4 scripts; see
-- bench/public_lookup.py). Each script defines make_path(line) and calls from its init():
-- every thread reads the lines of the file given after `--`, pre-formats one GET per line and
-- sends a random one per request. response() counts status codes; done() prints the totals,
-- requests/s and latency percentiles (microseconds) as "BENCH <key> <value>" lines.

local threads = {}
local requests = {}
counts = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

function load_paths(args, make_path)
   local file = args[1]
   if file == nil then
      error("usage: wrk ... -s <script> <url> -- <lines file>")
   end
   for line in io.lines(file) do
      if line ~= "" then
         table.insert(requests, wrk.format("GET", make_path(line)))
      end
   end
   if #requests == 0 then
      error("no lines in " .. file)
   end
   math.randomseed(os.time() * 100 + (id or 0))
end

function request()
   return requests[math.random(#requests)]
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
end

function urlencode(text)
   return (text:gsub("[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("counts")) do
         total[status] = (total[status] or 0) + n
      end
   end
   local seconds = summary.duration / 1e6
   print(string.format("BENCH requests %d", summary.requests))
   print(string.format("BENCH seconds %.3f", seconds))
   print(string.format("BENCH rps %.1f", summary.requests / seconds))
   print(string.format("BENCH bytes %d", summary.bytes))
   for _, p in ipairs({50, 75, 90, 95, 99, 99.9}) do
      print(string.format("BENCH p%s %d", tostring(p), latency:percentile(p)))
   end
   print(string.format("BENCH mean %.0f", latency.mean))
   print(string.format("BENCH max %d", latency.max))
   local e = summary.errors
   print(string.format("BENCH socket_errors %d", e.connect + e.read + e.write + e.timeout))
   for status, n in pairs(total) do
      print(string.format("BENCH status_%d %d", status, n))
   end
end
