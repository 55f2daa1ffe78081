-- wrk script: every request a different URL of the list (no page cache hit); see bench/README.md.
--
--   wrk -t2 -c32 -d10s --latency -H 'Authorization: Token T' -s bench/varied.lua \
--       http://127.0.0.1:4010/ -- /organizations/backup/list/organization/ORG/list/ 32 SALT
--
-- Script arguments (after `--`), each falling back to an environment variable:
--   1 VARIED_PATH   the list path (default: the URL's path without its query)
--   2 VARIED_COUNT  how many backups the list holds, so that every page asked for exists (default 32)
--   3 VARIED_SALT   any word, different for every wrk run, so a warm-up's URLs never come back
-- Request k of a thread asks for page_size 5 + (7k mod 16) (5 to 20) and a page of it that
-- exists, plus n=<salt>.<thread>.<k>: no two URLs of a run are equal. bench/load.py's Python
-- load generator builds the same URLs (varied_query); keep the two in step.

local base, total, salt, k  -- `id` is a global each thread gets from setup()

local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  base = args[1] or os.getenv("VARIED_PATH") or wrk.path:gsub("%?.*$", "")
  total = tonumber(args[2] or os.getenv("VARIED_COUNT") or "32")
  salt = args[3] or os.getenv("VARIED_SALT") or tostring(os.time())
  k = 0
end

function request()
  k = k + 1
  local size = 5 + (k * 7) % 16
  local pages = math.max(1, math.ceil(total / size))
  local page = 1 + (k * 13) % pages
  local path = string.format("%s?page=%d&page_size=%d&n=%s.%d.%d", base, page, size, salt, id or 0, k)
  return wrk.format(nil, path)
end
