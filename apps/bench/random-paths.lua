-- wrk script: each request GETs a random line of the file named by the
-- first script argument (wrk ... -s random-paths.lua URL -- paths.txt).
-- With a second argument `sequential`, lines are taken in order instead
-- (to warm a cache with every line).
local paths = {}
local sequential = false
local next_index = 0

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
  for line in file:lines() do
    paths[#paths + 1] = line
  end
  file:close()
  sequential = args[2] == "sequential"
  -- a different sequence in every thread
  math.randomseed(os.time() + tonumber(tostring(paths):match("0x(%x+)") or "0", 16))
end

function request()
  if sequential then
    next_index = next_index % #paths + 1
    return wrk.format("GET", paths[next_index])
  end
  return wrk.format("GET", paths[math.random(#paths)])
end

-- The percentiles wrk's own report leaves out, in milliseconds.
function done(summary, latency, requests)
  io.write(string.format("percentiles-ms p50 %.2f p95 %.2f p99 %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
