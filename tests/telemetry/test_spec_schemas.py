"""Conformance with the original preprocessor's schemas (Sunbird ``schemas/telemetry/3.0`` and iGOT's,
which adds CB_AUDIT; facts read from Sunbird-Obsrv/sunbird-data-pipeline@eb1e1a1 and
KB-iGOT/sunbird-data-pipeline@b418e86, written here as Weir's own table). For every eid: a minimal
valid event, a maximal valid event (every declared member), and each required member removed; plus
what the spec allows that Weir once refused, and what it refuses. Every case is judged by the exact
validator and by both fast paths (the native reader, the compiled types), which must never accept
what the exact validator refuses, and accept every valid event of a compiled eid."""

import copy

import orjson
import pytest

from platform_assets.telemetry import tables
from platform_assets.telemetry.validation import STAMPED_MEMBERS, EventValidator

pytestmark = pytest.mark.fast

SYNC = 1_795_400_000_000
STAMP = b'"syncts":%d,"@timestamp":"2026-11-23T02:13:20.000Z"' % SYNC
TARGET = {"id": "q1", "ver": "1", "type": "MCQ", "parent": {"id": "p", "type": "Set"}}
PLUGIN = {"id": "org.ekstep.quiz", "ver": "1.0", "category": "core"}
WAT_OBJECT = {"id": "wo_1", "type": "WorkOrder", "ver": "1", "name": "Work order", "org": "org-1",
              "rollup": {"l1": "a"}}
FRAC_OBJECT = {"id": "c_1", "type": "Competency", "ver": "1", "name": "Drafting", "org": "org-1",
               "sub_type": "Behavioural"}

# eid -> (required edata members, minimal edata, maximal edata)
EDATA = {
    "ASSESS": (["item", "pass", "score", "resvalues", "duration"],
               {"item": {"id": "q1"}, "pass": "Yes", "score": 1, "resvalues": [], "duration": 3},
               {"item": {"id": "q1", "uri": "u", "desc": "d", "title": "t", "type": "mcq", "maxscore": 1,
                         "exlength": 5, "params": [{"a": 1}], "mmc": ["x"], "mc": ["y"]},
                "index": 1, "pass": "Partial", "score": 0.5, "resvalues": [{"1": "7"}], "duration": 3}),
    "AUDIT": ([], {}, {"type": "update", "props": ["status"], "state": "Live", "prevstate": "Draft",
                       "duration": 2}),
    "END": (["type"], {"type": "app"},
            {"type": "app", "mode": "play", "pageid": "p", "duration": 9, "summary": [{"progress": 100}]}),
    "ERROR": (["err", "errtype", "stacktrace"], {"err": "E1", "errtype": "APP", "stacktrace": "at x"},
              {"err": "E1", "errtype": "APP", "stacktrace": "at x", "pageid": "p",
               "object": {"id": "o", "type": "Content", "ver": "1", "subtype": "s", "name": "n", "code": "c",
                          "parent": {"id": "p", "type": "t"}}, "plugin": PLUGIN}),
    "EXDATA": ([], {}, {"type": "partnerdata", "data": "opaque"}),
    "FEEDBACK": ([], {}, {"rating": 4, "comments": "c", "commentid": "1", "commenttxt": "t"}),
    "HEARTBEAT": ([], {}, {"type": "heartbeat", "anything": {"goes": [1, None]}}),
    "IMPRESSION": (["type", "pageid", "uri"], {"type": "view", "pageid": "p", "uri": "u"},
                   {"type": "view", "subtype": "scroll", "pageid": "p", "uri": "u", "duration": 1,
                    "visits": [{"objid": "do_1", "objtype": "Content", "objver": "1", "section": "s",
                                "index": 0}]}),
    "INTERACT": (["type", "id"], {"type": "TOUCH", "id": "b1"},
                 {"type": "TOUCH", "subtype": "", "id": "b1", "pageid": "p", "target": TARGET, "plugin": PLUGIN,
                  "extra": {"pos": []}, "duration": 1}),
    "INTERRUPT": (["type"], {"type": "background"}, {"type": "background", "pageid": "p"}),
    "LOG": (["type", "level", "message"], {"type": "api", "level": "INFO", "message": "m"},
            {"type": "api", "level": "INFO", "message": "m", "pageid": "p", "params": [{"rid": "r"}]}),
    "METRICS": (["system", "subsystem"], {"system": "s", "subsystem": "ss"},
                {"system": "s", "subsystem": "ss", "metrics": [{"metric": "load", "value": 1.5}]}),
    "RESPONSE": (["target", "type", "values"], {"target": TARGET, "type": "CHOOSE", "values": []},
                 {"target": TARGET, "type": "CHOOSE", "values": [{"option": 2}]}),
    "SEARCH": (["query", "size", "topn"], {"query": "q", "size": 0, "topn": []},
               {"type": "content", "query": "q", "correlationid": "c", "filters": {"b": 1}, "sort": {"n": 1},
                "size": 3, "topn": [{"identifier": "do_1"}]}),
    "SHARE": (["items"], {"items": []},
              {"dir": "OUT", "type": "File", "items": [{"id": "do_1", "type": "Content", "ver": "1",
                                                        "params": [{"t": 0}], "origin": {"id": "d", "type": "Device"},
                                                        "to": {"id": "u", "type": "User"}}]}),
    "START": (["type"], {"type": "app"},
              {"type": "app", "loc": "x,y", "mode": "play", "pageid": "p", "duration": 1,
               "dspec": {"os": "Android", "make": "m", "id": "d", "mem": -1, "idisk": 1, "edisk": 1, "scrn": 5,
                         "camera": "c", "cpu": "arm", "sims": 1, "cap": ["x"]},
               "uaspec": {"agent": "Chrome", "ver": "1", "system": "Linux", "platform": "web", "raw": "r"}}),
    "SUMMARY": (["type", "starttime", "endtime", "timespent", "pageviews", "interactions"],
                {"type": "session", "starttime": 1, "endtime": 2, "timespent": 1, "pageviews": 0, "interactions": 0},
                {"type": "session", "mode": "play", "starttime": 1, "endtime": 2, "timespent": 1, "pageviews": 0,
                 "interactions": 0, "extra": [{"id": "k", "value": "v"}]}),
    "CB_AUDIT": (["state", "props", "cb_object"],  # the FRAC shape; the WAT shape also needs cb_data
                 {"state": "Draft", "props": [], "cb_object": FRAC_OBJECT},
                 {"type": "x", "state": "Published", "prevstate": "Draft", "props": ["WAT"], "duration": 1,
                  "cb_object": WAT_OBJECT, "cb_data": {"data": {"k": 1}}}),
}
ENVELOPE_REQUIRED = ["eid", "ets", "ver", "mid", "actor", "context", "edata"]


def event(eid: str, edata: dict, maximal: bool = False) -> dict:
    out = {"eid": eid, "ets": 1795399999000, "ver": "3.0", "mid": f"{eid}-1", "actor": {"id": "u1", "type": "User"},
           "context": {"channel": "c1", "env": "home", "pdata": {"id": "app"}}, "edata": copy.deepcopy(edata)}
    if maximal:
        out["context"].update(sid="s", did="d", cdata=[{"type": "API", "id": "x"}], rollup={"l1": "a", "x": [1]})
        out["context"]["pdata"].update(pid="p", ver="1")
        out["object"] = {"id": "do_1", "type": "Content", "ver": "1", "rollup": {"l1": "a", "l2": "b"}}
        out["tags"] = ["t"]
        out["ver"] = "3.1"
    if eid == "CB_AUDIT":
        out.setdefault("object", {"type": "WorkOrder"})
    return out


@pytest.fixture(scope="module")
def validator() -> EventValidator:
    return EventValidator()


def verdict(validator: EventValidator, event_: dict, undeclared: bool = False) -> str | None:
    """The exact validator's verdict; the fast paths must agree with it where they decide (the
    compiled types also refuse ``undeclared`` members where the schema allows them: never looser)."""
    error = validator.error(event_)
    text = orjson.dumps(event_)
    native = validator.row_reader(text, SYNC, STAMP) if validator.row_reader else None
    typed = validator.valid_event(text)
    if error is not None:
        assert native is None and typed is None, (event_, error)
    elif event_["eid"] not in validator.uncompiled:
        assert native is not None and (typed is not None or undeclared), event_
        assert native[0] == tables.valid_event_row(dict(event_, syncts=SYNC, **{"@timestamp": "x"}))
    return error


def test_every_eid_of_the_original_folders_has_a_schema(validator):
    assert validator.eids == sorted(EDATA)
    assert set(validator.uncompiled) == {"CB_AUDIT"}  # oneOf: checked exactly, no fast path


@pytest.mark.parametrize("eid", sorted(EDATA))
@pytest.mark.parametrize("shape", ["minimal", "maximal"])
def test_minimal_and_maximal_events_are_valid(validator, eid, shape):
    required, minimal, maximal = EDATA[eid]
    assert verdict(validator, event(eid, minimal if shape == "minimal" else maximal, shape == "maximal")) is None


@pytest.mark.parametrize("eid", sorted(EDATA))
def test_each_required_member_removed_is_refused_by_name(validator, eid):
    required, minimal, _ = EDATA[eid]
    for member in ENVELOPE_REQUIRED + (["object"] if eid == "CB_AUDIT" else []):
        broken = event(eid, minimal)
        broken.pop(member)
        error = verdict(validator, broken)
        assert error is not None and (member in error or member == "eid"), (member, error)
    for member in required:
        broken = event(eid, minimal)
        broken["edata"].pop(member)
        error = verdict(validator, broken)
        assert error is not None and error.startswith("edata"), (member, error)
    for path in (("actor", "id"), ("actor", "type"), ("context", "channel"), ("context", "env"),
                 ("context", "pdata")):
        broken = event(eid, minimal)
        broken[path[0]].pop(path[1])
        assert verdict(validator, broken) is not None, path


ALLOWED = {  # what the spec allows (Weir refused these before)
    "blank actor id": lambda e: e["actor"].update(id=""),
    "blank actor type": lambda e: e["actor"].update(type=""),
    "blank env": lambda e: e["context"].update(env=""),
    "blank pdata id": lambda e: e["context"]["pdata"].update(id=""),
    "no object": lambda e: e.pop("object", None),
    "an object without id or type": lambda e: e.update(object={}),
    "a negative ets": lambda e: e.update(ets=-5),
    "a mid of 300 characters": lambda e: e.update(mid="m" * 300),
    "a rollup of any shape": lambda e: e["context"].update(rollup={"l1": 1}),
    "a member the envelope does not declare": lambda e: e.update(flags={"x": 1}),
    "ver 3.1": lambda e: e.update(ver="3.1"),
}
REFUSED = {  # what the spec refuses
    "a blank channel": (lambda e: e["context"].update(channel=""), "context/channel"),
    "a blank mid": (lambda e: e.update(mid=""), "mid"),
    "ver 3.2": (lambda e: e.update(ver="3.2"), "ver"),
    "a tag that is not a string": (lambda e: e.update(tags=[1]), "tags/0"),
    "a cdata item with an extra member": (
        lambda e: e["context"].update(cdata=[{"type": "a", "id": "b", "extra": 1}]), "context/cdata/0"),
    "an edata member the spec does not declare": (lambda e: e["edata"].update(colour="red"), "edata"),
    "a lower-case eid": (lambda e: e.update(eid="interact"), "unknown eid"),
    "an eid no folder has": (lambda e: e.update(eid="TELEPORT"), "unknown eid"),
}


@pytest.mark.parametrize("case", ALLOWED)
def test_what_the_spec_allows_is_accepted(validator, case):
    accepted = event("INTERACT", EDATA["INTERACT"][1])
    ALLOWED[case](accepted)
    assert verdict(validator, accepted, undeclared=case == "a member the envelope does not declare") is None


@pytest.mark.parametrize("case", REFUSED)
def test_what_the_spec_refuses_is_refused_with_where(validator, case):
    change, where = REFUSED[case]
    refused = event("INTERACT", EDATA["INTERACT"][2], maximal=True)
    change(refused)
    error = verdict(validator, refused)
    assert error is not None and where in error, error


def test_cb_audit_takes_exactly_one_of_its_two_shapes(validator):
    wat = EDATA["CB_AUDIT"][2]
    assert verdict(validator, event("CB_AUDIT", wat)) is None
    frac_with_data = dict(EDATA["CB_AUDIT"][1], cb_data={"data": {}})  # FRAC forbids cb_data
    assert verdict(validator, event("CB_AUDIT", frac_with_data)) is not None
    wrong_type = dict(wat, cb_object=dict(WAT_OBJECT, type="Competency"))  # WAT needs WorkOrder
    assert verdict(validator, event("CB_AUDIT", wrong_type)) is not None
    assert STAMPED_MEMBERS == ("syncts", "@timestamp")
