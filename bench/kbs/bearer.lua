-- wrk script for bench/run_kbs.sh: every request carries the EAR token
-- of one attested session as `Authorization: Bearer` (Trustee's passport
-- mode), read from the environment so that it never lands on a command
-- line. A non-2xx answer counts in summary.errors.status.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KBS_BENCH_TOKEN")

done = function(summary, latency, requests)
  io.write(string.format("non-2xx answers: %d\n", summary.errors.status))
end
