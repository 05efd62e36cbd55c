"""Lists of communes and people read in Vietnamese dictionary order, not code-point order."""

from meetings.textsearch import sort_key


def test_d_with_stroke_follows_d_and_tones_only_break_ties():
    names = ["Xã Yên Sơn", "Xã Đồng Hỷ", "Xã Dương Quang", "Xã Ân Thi", "Xã An Phú", "Xã Ăn", "Phường Minh Sơn",
             "Xã Đà", "Xã Đa"]
    assert sorted(names, key=sort_key) == [
        "Phường Minh Sơn", "Xã An Phú", "Xã Ăn", "Xã Ân Thi", "Xã Dương Quang", "Xã Đa", "Xã Đà",
        "Xã Đồng Hỷ", "Xã Yên Sơn",
    ]
