"""Proxy and record (issue 12): the mock in front of a real implementation.

`forward` sends each API request to the upstream and brings its answer back; `validation` judges
each exchange with the contract kit's rules (the one place the mock imports the kit); `record`
keeps what the upstream answered as a fixture directory; `fallback` answers from the fixtures
while the upstream is down; `relay` makes the operations' handlers of them; `routes` serves
`/__mock/violations`. The app wires them only when `--proxy` is given.
"""

VIOLATIONS_HEADER = "Contract-Violations"  # on each judged answer: `<count>; <short summary>`
FALLBACK_HEADER = "Proxy-Fallback"  # on an answer the fixtures gave while the upstream was down
STATUS_HEADER = "Proxy-Status"  # RFC 9209, on a 502 or 504 the mock gave for the upstream
EXPOSED = (VIOLATIONS_HEADER, FALLBACK_HEADER, STATUS_HEADER)  # readable by a browser app (CORS)
