-- wrk script for bench/run_kbs.sh: like bearer.lua, but each request
-- carries the next of many EAR tokens (one per attested session, read from
-- the file $KBS_BENCH_TOKENS, one a line), so that every request misses
-- cocoon-kbs's per-worker token cache (CC_KBS_TOKEN_CACHE_ENTRIES, 64, is
-- far fewer than the tokens cycled through) and is verified in full.
-- A non-2xx answer counts in summary.errors.status.
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local tokens = {}
local next_one = 1

function init(args)
  for line in io.lines(os.getenv("KBS_BENCH_TOKENS")) do
    if #line > 0 then
      tokens[#tokens + 1] = "Bearer " .. line
    end
  end
  -- thread n starts n * 97 tokens on, so that threads do not walk in step
  next_one = (id * 97) % #tokens + 1
end

function request()
  local t = tokens[next_one]
  next_one = next_one % #tokens + 1
  return wrk.format("GET", nil, { Authorization = t })
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx answers: %d\n", summary.errors.status))
end
