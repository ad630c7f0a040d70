"""The Reuters-21578 SGML parser, ModApte split and topic choices, on small data made here."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from rnnkit.data import CorruptArchiveError, DataFormatError
from rnnkit.datasets import reuters21578
from rnnkit.datasets.reuters21578 import Story, choose_topics, modapte, parse_sgml

SGML = b"""<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<PLACES><D>el-salvador</D><D>usa</D></PLACES>
<PEOPLE></PEOPLE><ORGS></ORGS><EXCHANGES></EXCHANGES><COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;C T</UNKNOWN>
<TEXT>&#2;
<TITLE>BAHIA COCOA REVIEW</TITLE>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers &lt;alleviated&gt; the drought &amp; more.
M\xfcller said prices rose.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="YES" LEWISSPLIT="TEST" CGISPLIT="TRAINING-SET" OLDID="5545" NEWID="2">
<DATE>26-FEB-1987</DATE>
<TOPICS><D>grain</D><D>wheat</D></TOPICS>
<PLACES></PLACES><PEOPLE></PEOPLE><ORGS></ORGS><EXCHANGES></EXCHANGES><COMPANIES></COMPANIES>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>GRAIN AND WHEAT BRIEF
</TITLE>Blah blah blah.
&#3;

</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="NOT-USED" CGISPLIT="TRAINING-SET" OLDID="5546" NEWID="3">
<DATE>26-FEB-1987</DATE>
<TOPICS></TOPICS>
<PLACES></PLACES><PEOPLE></PEOPLE><ORGS></ORGS><EXCHANGES></EXCHANGES><COMPANIES></COMPANIES>
<TEXT TYPE="UNPROC">&#2;
FEDERAL RESERVE WEEKLY REPORT
    Two weeks ended Feb 25
&#3;
</TEXT>
</REUTERS>
"""


def test_parse_sgml_reads_attributes_topics_and_cleaned_text():
    first, brief, unproc = parse_sgml(SGML.decode("latin-1"), "x.sgm")
    assert (first.newid, first.oldid, first.lewissplit, first.topics_attr) == (1, 5544, "TRAIN", "YES")
    assert first.topics == ("cocoa",) and first.places == ("el-salvador", "usa")
    assert first.title == "BAHIA COCOA REVIEW" and first.dateline == "SALVADOR, Feb 26 -"
    # Entities resolved, control-character references gone, the Latin-1 byte read as u-umlaut.
    assert first.body == "Showers <alleviated> the drought & more.\nM\u00fcller said prices rose.\n Reuter"
    assert first.text == "BAHIA COCOA REVIEW\n" + first.body
    assert brief.text_type == "BRIEF" and brief.topics == ("grain", "wheat")
    assert brief.text == "GRAIN AND WHEAT BRIEF" and brief.body == ""
    assert unproc.text_type == "UNPROC" and unproc.body.startswith("FEDERAL RESERVE WEEKLY REPORT\n")
    assert not any(ord(c) < 32 and c not in "\n\t" for s in (first, brief, unproc) for c in s.text)


def test_a_story_without_its_ids_is_reported_with_the_line():
    broken = '<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN">\n<TEXT>x</TEXT></REUTERS>'
    with pytest.raises(DataFormatError, match=r"x\.sgm, line 1: .*'NEWID'"):
        parse_sgml(broken, "x.sgm")


def _story(newid, split, topics, attr="YES"):
    return Story(newid, newid, split, "TRAINING-SET", attr, tuple(topics), (), "NORM", f"t{newid}", "", "body", "")


def _stories():
    s, n = [], 0
    spec = [  # (split, topics, copies)
        ("TRAIN", ["earn"], 6), ("TEST", ["earn"], 2),
        ("TRAIN", ["acq"], 5), ("TEST", ["acq"], 2),
        ("TRAIN", ["grain", "wheat"], 4), ("TEST", ["grain", "wheat"], 1),  # wheat never alone
        ("TRAIN", ["grain"], 2), ("TEST", ["grain"], 1),
        ("TRAIN", ["cocoa"], 2),  # single-label in train only: not in R52
        ("TRAIN", ["zinc"], 2), ("TEST", ["zinc", "earn"], 1),  # in R90, single-label in train only
        ("TRAIN", ["tin"], 2), ("TEST", ["tin"], 1),
        ("NOT-USED", ["earn"], 3), ("TRAIN", [], 2),
    ]
    for split, topics, copies in spec:
        for _ in range(copies):
            n += 1
            s.append(_story(n, split, topics))
    s.append(_story(n + 1, "TRAIN", ["earn"], attr="BYPASS"))  # not ModApte
    return s


def test_modapte_uses_lewissplit_and_the_topics_attribute():
    train, test = modapte(_stories())
    assert len(train) == 6 + 5 + 4 + 2 + 2 + 2 + 2 + 2 and len(test) == 2 + 2 + 1 + 1 + 1 + 1
    assert all(s.topics_attr == "YES" for s in train + test)


def test_topic_choices():
    train, test = modapte(_stories())
    # N most frequent single-label training topics; ties (cocoa, grain, tin, zinc: 2 each) by name.
    assert choose_topics(train, test, 3) == ["acq", "cocoa", "earn"]
    # R8 rule: top 10 by all labels, then only topics that occur alone (wheat never does).
    assert choose_topics(train, test, "r8") == ["acq", "cocoa", "earn", "grain", "tin", "zinc"]
    # R52 rule: in R90 (train and test) and single-label in both splits.
    assert choose_topics(train, test, "R52") == ["acq", "earn", "grain", "tin"]
    assert choose_topics(train, test, ["tin", "acq", "tin"]) == ["acq", "tin"]
    for bad in (1, "r10", ["earn"]):
        with pytest.raises(ValueError):
            choose_topics(train, test, bad)


def _archive(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files():
    empty = b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'
    files = {f"reut2-{i:03d}.sgm": empty for i in range(22)}
    files["reut2-000.sgm"] = SGML
    files["README.txt"] = b"readme"
    return files


def test_load_data_from_an_archive_of_22_files(tmp_path):
    path = tmp_path / "reuters21578.tar.gz"
    sha = _archive(path, _files())
    stories = reuters21578.load_stories(path, file_hash=sha)
    assert [s.newid for s in stories] == [1, 2, 3]
    ds = reuters21578.load_data(["cocoa", "grain"], path, file_hash=sha)
    (x_train, y_train), (x_test, y_test) = ds
    assert ds.class_names == ("cocoa", "grain") and y_train.tolist() == [0] and x_test == []
    assert ds.train.ids == ("1",)  # NEWID; story 2 has two topics, so it is not single-label


def test_a_missing_sgml_file_or_a_truncated_archive_is_reported(tmp_path):
    files = _files()
    del files["reut2-013.sgm"]
    path = tmp_path / "r.tar.gz"
    sha = _archive(path, files)
    with pytest.raises(CorruptArchiveError, match="lacks reut2-013.sgm"):
        reuters21578.load_stories(path, file_hash=sha)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CorruptArchiveError, match="truncated or damaged"):
        reuters21578.load_stories(cut, file_hash=hashlib.sha256(cut.read_bytes()).hexdigest())
