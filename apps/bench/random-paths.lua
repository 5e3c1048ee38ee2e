-- wrk script: each request GETs a line of the file named by the first
-- script argument (wrk ... -s random-paths.lua URL -- paths.txt [order]).
--
--   random      (default) a random line each time; the file is held in
--               memory, so keep it small (the hot set)
--   sequential  the lines in file order, read from the file as they are
--               sent; each wrk thread starts at its own share of the file,
--               so with a shuffled file of all certificates no number is
--               asked twice (cold runs) and a warm-up covers every line
--
-- A large file is never held in memory: with 1,000,000 paths in each
-- thread's Lua state (a table of strings, or even one string), wrk's own
-- pauses put the hello-world's p99 at 65–155 ms instead of 2–3 ms.
local file = nil
local count = 0

-- setup runs in wrk's main state, once per thread: each thread learns its
-- number and how many there are.
local created = {}

function setup(thread)
  created[#created + 1] = thread
  thread:set("id", #created)
  for _, t in ipairs(created) do
    t:set("thread_count", #created)
  end
end

local function open_at_share(name)
  file = assert(io.open(name, "r"), "cannot open " .. tostring(name))
  local size = file:seek("end")
  assert(size > 0, "no paths in " .. name)
  local share = id or 1
  local all = thread_count or 1
  file:seek("set", math.floor(size * (share - 1) / all))
  if share > 1 then
    file:read("*l") -- the rest of a line another thread starts with
  end
end

-- Every request of the file, formatted once: a request then costs wrk a
-- table read, and makes no garbage for Lua's collector to chase. Holding
-- the hot set this way is a few megabytes.
local formatted = {}

local function load(name)
  local source = assert(io.open(name, "r"), "cannot open " .. tostring(name))
  for line in source:lines() do
    if line ~= "" then
      formatted[#formatted + 1] = wrk.format("GET", line)
    end
  end
  source:close()
  count = #formatted
  assert(count > 0, "no paths in " .. name)
end

function init(args)
  local order = args[2] or "random"
  if order == "sequential" then
    open_at_share(args[1])
  else
    assert(order == "random", "order is random or sequential, not " .. order)
    load(args[1])
    -- a different sequence in every thread
    math.randomseed(os.time() + (id or 0) * 7919)
  end
end

function request()
  if file then
    local line = file:read("*l")
    if not line or line == "" then
      file:seek("set", 0)
      line = file:read("*l")
    end
    return wrk.format("GET", line)
  end
  return formatted[math.random(count)]
end

-- The percentiles wrk's own report leaves out, in milliseconds.
function done(summary, latency, requests)
  io.write(string.format("percentiles-ms p50 %.2f p95 %.2f p99 %.2f p99.9 %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000))
end
