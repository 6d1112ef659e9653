from __future__ import annotations

from storage.influxql import quote_ident, quote_literal
from storage.lineprotocol import encode, encode_point
from storage.points import Point


def test_types_and_tag_order() -> None:
    point = Point(
        "elevator",
        {"site": "s", "building": "B1"},
        {"floor": 3, "alarm": False, "load": 0.5, "state": "idle"},
        7,
    )
    assert encode_point(point) == 'elevator,building=B1,site=s floor=3i,alarm=false,load=0.5,state="idle" 7'


def test_escaping_of_special_characters() -> None:
    point = Point("my meas", {"area": "a,b=c d", "empty": ""}, {"na me": 'say "hi" \\ok'}, 1)
    assert encode_point(point) == 'my\\ meas,area=a\\,b\\=c\\ d na\\ me="say \\"hi\\" \\\\ok" 1'


def test_batch_is_newline_separated_utf8() -> None:
    points = [Point("m", {"unit": "單元"}, {"v": 1.0}, i) for i in range(2)]
    assert encode(points) == "m,unit=單元 v=1.0 0\nm,unit=單元 v=1.0 1".encode()


def test_influxql_quoting_neutralises_injection() -> None:
    assert quote_literal('x\' OR 1=1; DROP DATABASE "f" --') == "'x\\' OR 1=1; DROP DATABASE \"f\" --'"
    assert quote_literal("back\\slash") == "'back\\\\slash'"
    assert quote_ident('we"ird') == '"we\\"ird"'


def test_backslashes_in_names_are_not_doubled() -> None:
    # InfluxDB 1.x keeps a doubled backslash in a tag value as two characters.
    point = Point("m", {"meter_id": "back\\slash"}, {"c:\\path": 1.5, "s": "a\\b"}, 1)
    assert encode_point(point) == 'm,meter_id=back\\slash c:\\path=1.5,s="a\\\\b" 1'
