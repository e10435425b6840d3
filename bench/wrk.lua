-- wrk script of the bench suite: each request is one line of $BENCH_REQUESTS, picked at random.
--
-- A line is: METHOD <tab> PATH <tab> BEARER-TOKEN-OR-"-" <tab> BODY-OR-"-"
-- The lines are sample requests made from the loaded data (search terms, ids,
-- clinics and the token of a member of that clinic). In a body, "{rand}" is
-- replaced by random letters and "{dob}" by a random birth date, so every
-- write is a new person rather than a duplicate.
-- At the end one JSON line with the counts and latency percentiles is printed.

local lines = {}
local threads = {}
local counter = 0

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

local function letters(n)
  local out = {}
  for i = 1, n do
    out[i] = string.char(97 + math.random(0, 25))
  end
  return table.concat(out)
end

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
  local path = os.getenv("BENCH_REQUESTS")
  for line in io.lines(path) do
    if line ~= "" then
      local f = split(line)
      local headers = { ["X-Forwarded-Proto"] = "https", ["Host"] = "127.0.0.1" }
      if f[3] ~= "-" then
        headers["Authorization"] = "Bearer " .. f[3]
      end
      local body = nil
      if f[4] ~= nil and f[4] ~= "-" then
        body = f[4]
        headers["Content-Type"] = "application/json"
      end
      lines[#lines + 1] = { method = f[1], path = f[2], headers = headers, body = body }
    end
  end
end

function request()
  local r = lines[math.random(1, #lines)]
  local body = r.body
  if body ~= nil then
    body = body:gsub("{rand}", function() return letters(8) end)
    body = body:gsub("{dob}", function()
      return string.format("%04d-%02d-%02d", math.random(1935, 2015), math.random(1, 12), math.random(1, 28))
    end)
  end
  return wrk.format(r.method, r.path, r.headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "non_2xx": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean
  ))
end
