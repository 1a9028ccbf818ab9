"""Realistic Sunbird v3 telemetry for the demo, the tests and the benchmark (seeded, reproducible).

Events are ~1 KB, spread over sessions, devices and users of a few channels; every eid of the
shipped schemas occurs. Batches are what the mobile app and portal send: ``{id, ver, params{msgid},
syncts, events[]}``.
"""

import random
from typing import Any

import orjson

EIDS = (
    "START",
    "END",
    "IMPRESSION",
    "INTERACT",
    "ASSESS",
    "RESPONSE",
    "AUDIT",
    "LOG",
    "ERROR",
    "SEARCH",
    "SHARE",
    "SUMMARY",
    "EXDATA",
    "FEEDBACK",
    "HEARTBEAT",
    "INTERRUPT",
    "METRICS",
    "CB_AUDIT",
)
WEIGHTS = (6, 5, 25, 35, 5, 3, 2, 5, 2, 4, 2, 6, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2)
CHANNELS = ("0126684405014528002", "0130659746242723842", "01269878797503692810")
PRODUCERS = ("prod.diksha.app", "prod.diksha.portal", "prod.sunbird.desktop")


EXTRA_EDATA = {  # the rarer eids of the original schemas, iGOT's CB_AUDIT among them
    "EXDATA": lambda rng, page: {"type": "partnerdata", "data": f"payload-{rng.randrange(99)}"},
    "FEEDBACK": lambda rng, page: {"rating": rng.randrange(1, 6), "comments": "useful"},
    "HEARTBEAT": lambda rng, page: {"type": "heartbeat", "battery": rng.randrange(101)},
    "INTERRUPT": lambda rng, page: {"type": "background", "pageid": page},
    "METRICS": lambda rng, page: {
        "system": "app",
        "subsystem": "player",
        "metrics": [{"metric": "load_ms", "value": rng.randrange(50, 900)}],
    },
    "CB_AUDIT": lambda rng, page: {
        "state": "Published",
        "props": ["WAT"],
        "cb_object": {
            "id": f"wo_{rng.randrange(900)}",
            "type": "WorkOrder",
            "ver": "1",
            "name": "Work order",
            "org": "org-12",
        },
        "cb_data": {"data": {"activities": rng.randrange(9)}},
    },
}


def _edata(eid: str, rng: random.Random, n: int) -> dict[str, Any]:
    page = f"page-{rng.randrange(40)}"
    if eid in ("START", "END"):
        return {
            "type": "content",
            "mode": "play",
            "duration": rng.randrange(1, 900),
            "pageid": page,
            **({"summary": [{"progress": rng.randrange(101)}]} if eid == "END" else {}),
        }
    if eid == "IMPRESSION":
        return {
            "type": "view",
            "subtype": "scroll",
            "pageid": page,
            "uri": f"https://example.org/{page}",
            "visits": [
                {"objid": f"do_{rng.randrange(10**6)}", "objtype": "Content", "index": i}
                for i in range(3)
            ],
        }
    if eid == "INTERACT":
        return {
            "type": "TOUCH",
            "subtype": "",
            "id": f"button-{rng.randrange(30)}",
            "pageid": page,
            "extra": {"pos": [{"x": rng.random(), "y": rng.random()}]},
        }
    if eid == "ASSESS":
        return {
            "item": {"id": f"q{rng.randrange(500)}", "maxscore": 1, "title": "Which is a prime?"},
            "index": rng.randrange(10),
            "pass": rng.choice(["Yes", "No"]),
            "score": rng.randrange(2),
            "resvalues": [{"1": "7"}],
            "duration": rng.randrange(1, 120),
        }
    if eid == "RESPONSE":
        return {
            "target": {"id": f"q{rng.randrange(500)}", "ver": "1", "type": "MCQ"},
            "type": "CHOOSE",
            "values": [{"option": 2}],
        }
    if eid == "AUDIT":
        return {"props": ["status", "lastUpdatedOn"], "state": "Live", "prevstate": "Review"}
    if eid == "LOG":
        return {
            "type": "api_access",
            "level": "INFO",
            "message": "content read",
            "params": [{"rid": f"r{n}"}],
        }
    if eid == "ERROR":
        return {
            "err": "ERR_NETWORK",
            "errtype": "MOBILEAPP",
            "stacktrace": "java.net.SocketTimeoutException at ...",
            "pageid": page,
        }
    if eid == "SEARCH":
        return {
            "type": "content",
            "query": rng.choice(["fractions", "photosynthesis", "algebra"]),
            "filters": {"board": "CBSE"},
            "size": rng.randrange(100),
            "topn": [{"identifier": "do_1"}],
        }
    if eid == "SHARE":
        return {
            "dir": "OUT",
            "type": "File",
            "items": [
                {
                    "id": f"do_{rng.randrange(10**6)}",
                    "type": "Content",
                    "ver": "1",
                    "params": [{"transfers": 0}],
                }
                for _ in range(2)
            ],
        }
    if eid in EXTRA_EDATA:
        return EXTRA_EDATA[eid](rng, page)
    return {
        "type": "session",
        "mode": "play",
        "starttime": 1,
        "endtime": 2,
        "timespent": rng.randrange(1, 600),
        "pageviews": rng.randrange(20),
        "interactions": rng.randrange(50),
    }


def event(
    rng: random.Random, n: int, ets: int, eid: str | None = None, pad: int = 0
) -> dict[str, Any]:
    eid = eid or rng.choices(EIDS, WEIGHTS)[0]
    session = rng.randrange(2000)
    user = session % 700
    return {
        "eid": eid,
        "ets": ets,
        "ver": "3.0",
        "mid": f"{eid}:{n:012d}-{rng.getrandbits(32):08x}",
        "actor": {"id": f"user-{user:05d}", "type": "User"},
        "context": {
            "channel": CHANNELS[user % len(CHANNELS)],
            "env": rng.choice(["home", "library", "player"]),
            "pdata": {
                "id": PRODUCERS[session % len(PRODUCERS)],
                "pid": "sunbird.app",
                "ver": "4.10.1",
            },
            "sid": f"sid-{session:06d}",
            "did": f"device-{session % 1500:06d}",
            "cdata": [{"id": f"corr-{session}", "type": "API"}],
            "rollup": {"l1": CHANNELS[user % len(CHANNELS)], "l2": "org-12"},
        },
        "object": {
            "id": f"do_{rng.randrange(5000):07d}",
            "type": "Content",
            "ver": "1",
            "rollup": {"l1": "do_course_1"},
        },
        "edata": _edata(eid, rng, n),
        "tags": ["weir-sample", *(["x" * pad] if pad else [])],
    }


def batches(
    count: int,
    events_per_batch: int,
    start_ms: int,
    spread_ms: int = 3_600_000,
    seed: int = 7,
    msgid_prefix: str = "batch",
    pad: int = 0,
) -> list[bytes]:
    """``count`` JSON batches; sync times spread over ``spread_ms`` from ``start_ms``; ``pad`` adds
    that many bytes to each event (the benchmark's ~1 KB events)."""
    rng = random.Random(seed)
    out, n = [], 0
    for b in range(count):
        syncts = start_ms + (b * spread_ms) // max(1, count)
        events = []
        for _ in range(events_per_batch):
            events.append(event(rng, n, syncts - rng.randrange(600_000), pad=pad))
            n += 1
        out.append(
            orjson.dumps(
                {
                    "id": "api.sunbird.telemetry",
                    "ver": "3.0",
                    "params": {"msgid": f"{msgid_prefix}-{seed}-{b:08d}", "did": "device-1"},
                    "syncts": syncts,
                    "events": events,
                }
            )
        )
    return out
