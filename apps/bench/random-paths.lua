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
local records = ""
local width = 0
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

-- The lines in one string of fixed-width records padded with spaces
-- (paths are URL-encoded, so they hold none).
local function load(name)
  local source = assert(io.open(name, "r"), "cannot open " .. tostring(name))
  local lines = {}
  for line in source:lines() do
    assert(not line:find(" "), "paths must be URL-encoded: " .. line)
    lines[#lines + 1] = line
    if #line > width then width = #line end
  end
  source:close()
  count = #lines
  assert(count > 0, "no paths in " .. name)
  for i = 1, count do
    lines[i] = lines[i] .. string.rep(" ", width - #lines[i])
  end
  records = table.concat(lines)
  collectgarbage("collect")
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

local function next_path()
  if file then
    local line = file:read("*l")
    if not line or line == "" then
      file:seek("set", 0)
      line = file:read("*l")
    end
    return line
  end
  local at = (math.random(count) - 1) * width + 1
  return records:sub(at, at + width - 1):match("^%S+")
end

function request()
  return wrk.format("GET", next_path())
end

-- The percentiles wrk's own report leaves out, in milliseconds.
function done(summary, latency, requests)
  io.write(string.format("percentiles-ms p50 %.2f p95 %.2f p99 %.2f p99.9 %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000))
end
