-- The wrk driver of bench_api.py: account managers at work, one kind of request per wrk
-- process (wrk keeps one latency distribution per process), so bench_api.py starts four
-- at once with their shares of the offered rate: customer 360 50%, worklist 20%, customer
-- list 20%, log a contact 10%. Each request carries the bearer token of one account manager
-- and names only customers of that manager's portfolio.
--
--   wrk -t1 -c CONNECTIONS -d SECONDS --timeout 60s -s benchmarks/api_load.lua \
--       http://127.0.0.1:8765 -- KIND RATE ACCOUNTS.lua
--
-- KIND is one of customer_360, worklist, customer_list, log_interaction; RATE the requests
-- per second offered; ACCOUNTS.lua returns {{token = "...", customers = {ids}}, ...}.
-- The delay() hook hands out send times on a fixed schedule (one every 1000/RATE ms) to
-- whichever connection is free, so each of the connections offers about RATE/CONNECTIONS
-- requests per second, like a manager, and a slow server does not lower the offered rate
-- until every connection is waiting for an answer (locust's constant_throughput users
-- behaved the same way). done() prints one line "BENCH_API_JSON {...}" for bench_api.py.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_api_timespec;
int clock_gettime(int clock_id, bench_api_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_api_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local INTERACTION = '{"channel":"phone","direction":"outbound","topic":"portfolio review",'
  .. '"outcome":"completed","note":"called about the savings offer"}'
local SORTS = { "-value_at_risk", "name", "-clv" }

local kind, interval, accounts, next_send, build
non2xx = 0 -- read by done() through thread:get

local function pick()
  local account = accounts[math.random(#accounts)]
  local customers = account.customers
  return account, customers[math.random(#customers)]
end

local builders = {
  customer_360 = function()
    local account, customer = pick()
    return wrk.format("GET", "/api/v1/customers/" .. customer, account.headers)
  end,
  worklist = function()
    local account = pick()
    return wrk.format("GET", "/api/v1/worklist?limit=20", account.headers)
  end,
  customer_list = function()
    local account = pick()
    local sort = SORTS[math.random(#SORTS)]
    return wrk.format("GET", "/api/v1/customers?limit=20&sort=" .. sort, account.headers)
  end,
  log_interaction = function()
    local account, customer = pick()
    return wrk.format(
      "POST",
      "/api/v1/customers/" .. customer .. "/interactions",
      account.json_headers,
      INTERACTION
    )
  end,
}

function init(args)
  -- args[0] is the URL; the script's own arguments follow "--".
  kind = args[1]
  interval = 1000 / tonumber(args[2])
  accounts = dofile(args[3])
  assert(builders[kind], "unknown request kind " .. tostring(kind))
  assert(#accounts > 0, "no accounts in " .. args[3])
  for _, account in ipairs(accounts) do
    account.headers = { Authorization = "Bearer " .. account.token }
    account.json_headers = {
      Authorization = "Bearer " .. account.token,
      ["Content-Type"] = "application/json",
    }
  end
  math.randomseed(os.time() + #kind * 7919)
  build = builders[kind]
  next_send = now_ms()
end

function request()
  return build()
end

function delay()
  local now = now_ms()
  local at = math.max(next_send, now)
  next_send = at + interval
  return math.floor(at - now + 0.5)
end

function response(status)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local e = summary.errors
  -- Quantiles every 0.1% (µs) so that bench_api.py can merge the four kinds' distributions.
  local quantiles = {}
  for i = 1, 999 do
    quantiles[i] = string.format("%d", latency:percentile(i / 10))
  end
  quantiles[1000] = string.format("%d", latency.max)
  io.write(
    string.format(
      'BENCH_API_JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,'
        .. '"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p95":%d,"p99":%d,'
        .. '"quantiles":[%s]}\n',
      summary.requests,
      summary.duration,
      bad,
      e.connect,
      e.read,
      e.write,
      e.status,
      e.timeout,
      latency:percentile(50),
      latency:percentile(95),
      latency:percentile(99),
      table.concat(quantiles, ",")
    )
  )
end
