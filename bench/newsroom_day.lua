-- The readers of bench/newsroom_day.py: each request draws a kind of read (article detail, list,
-- front page, briefs, search) by its weight, then a path of that kind by Zipf popularity. Every
-- answer's `X-Cache` (HIT or MISS) is counted, and one JSON line reports the totals with wrk's
-- latency percentiles.
--
-- The catalogue is a text file named by NEWSROOM_DAY_CATALOGUE, written by the Python side:
--   K <weight> <name>     starts a kind
--   P <cdf> <path>        a path of the current kind, with the cumulative Zipf probability
-- (a text file rather than Lua source: LuaJIT bounds the constants of one chunk).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

local kinds, kind_cdf

local function pick(cdf)
  local u = math.random()
  local lo, hi = 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

function init(args)
  kinds, kind_cdf = {}, {}
  local total, current = 0, nil
  for line in io.lines(os.getenv("NEWSROOM_DAY_CATALOGUE")) do
    local tag, number, rest = line:match("^(%a) (%S+) (.*)$")
    if tag == "K" then
      current = { name = rest, paths = {}, cdf = {} }
      table.insert(kinds, current)
      total = total + tonumber(number)
      table.insert(kind_cdf, total)
    elseif tag == "P" then
      table.insert(current.cdf, tonumber(number))
      table.insert(current.paths, rest)
    end
  end
  for i = 1, #kind_cdf do kind_cdf[i] = kind_cdf[i] / total end
  kind_cdf[#kind_cdf] = 1.0
  for _, kind in ipairs(kinds) do kind.cdf[#kind.cdf] = 1.0 end
  math.randomseed(tonumber(os.getenv("NEWSROOM_DAY_SEED") or "1") * 1000 + thread_number)
  hits, misses, unmarked, ok, not_modified, client_errors, server_errors = 0, 0, 0, 0, 0, 0, 0
end

function request()
  local kind = kinds[pick(kind_cdf)]
  return wrk.format("GET", kind.paths[pick(kind.cdf)])
end

function response(status, headers, body)
  local x = headers["x-cache"] or headers["X-Cache"]
  if x == "HIT" then hits = hits + 1
  elseif x == "MISS" then misses = misses + 1
  else unmarked = unmarked + 1 end
  if status == 304 then not_modified = not_modified + 1
  elseif status >= 500 then server_errors = server_errors + 1
  elseif status >= 400 then client_errors = client_errors + 1
  else ok = ok + 1 end
end

function done(summary, latency, requests)
  local sums = { hits = 0, misses = 0, unmarked = 0, ok = 0, not_modified = 0,
                 client_errors = 0, server_errors = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(sums) do sums[name] = sums[name] + (thread:get(name) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "status_errors": %d, "socket_errors": %d, "hits": %d, ' ..
    '"misses": %d, "unmarked": %d, "ok": %d, "not_modified": %d, "client_errors": %d, ' ..
    '"server_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout,
    sums.hits, sums.misses, sums.unmarked, sums.ok, sums.not_modified, sums.client_errors,
    sums.server_errors))
end
