-- wrk script that sends precomputed requests, each once: a file of lines
-- "<X-Twilio-Signature>\t<form body>" (made by wrkbench.write_sms_requests) is read once per
-- thread in init() and built into whole HTTP requests there, so request() only hands the
-- next one over. Every request is distinct (fresh MessageSid and phone); if the file runs
-- out, it starts again and counts the wrap, and the harness rejects that run.
--   wrk -s requests.lua URL -- FILE PATH
local threads = {}
local built = {}
distinct = 0
wrapped = 0
local index = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file, path = args[1], args[2] or "/"
  for line in io.lines(file) do
    local tab = line:find("\t", 1, true)
    if tab then
      distinct = distinct + 1
      built[distinct] = wrk.format("POST", path, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = line:sub(1, tab - 1),
      }, line:sub(tab + 1))
    end
  end
  if distinct == 0 then
    error("no requests in " .. tostring(file))
  end
end

function request()
  index = index + 1
  if index > distinct then
    index = 1
    wrapped = wrapped + 1
  end
  return built[index]
end

function done(summary, latency, requests)
  local all, wraps = 0, 0
  for _, thread in ipairs(threads) do
    all = all + (thread:get("distinct") or 0)
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"non_2xx_3xx":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"distinct":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, all, wraps))
end
