import json

import pytest

from mockint.corpus.importing import auto_key_points, import_file
from mockint.errors import CorpusError, InputFileError


def test_csv_with_and_without_key_points(tmp_path):
    f = tmp_path / "mine.csv"
    f.write_text(
        "question,answer,key_points,topic\n"
        "What is bagging?,Bagging trains models on bootstrap samples and averages them. It lowers variance.,"
        "bootstrap samples;averaging lowers variance;parallel training,ml-fundamentals\n"
        "What is a stack?,A stack is a LIFO structure. Push adds an item on top. Pop removes the top item. "
        "Both are O(1).,,coding\n",
        encoding="utf-8",
    )
    qs, warnings = import_file(f)
    assert [q.rubric for q in qs] == ["curated", "auto"]
    assert [k.text for k in qs[0].key_points] == [
        "bootstrap samples",
        "averaging lowers variance",
        "parallel training",
    ]
    assert len(qs[1].key_points) >= 3 and qs[1].topics == ["coding"]
    assert not warnings


def test_jsonl_and_markdown(tmp_path):
    j = tmp_path / "q.jsonl"
    j.write_text(
        json.dumps(
            {
                "question": "What is dropout?",
                "answer": "Randomly zeroes activations during training.",
                "key_points": ["zeroes activations", "only in training", "regularizes"],
            }
        )
        + "\n"
    )
    assert import_file(j)[0][0].key_points[2].text == "regularizes"
    m = tmp_path / "q.md"
    m.write_text(
        "# My set\n\n## Stats\n\n### What is a p-value?\n\n- The probability of data at least this "
        "extreme if the null hypothesis holds.\n- It is not the probability the null is true.\n"
    )
    qs, _ = import_file(m)
    assert qs[0].section == "Stats" and qs[0].rubric == "auto"


@pytest.mark.parametrize(
    "content,needle",
    [
        ("question,answer\nWhat?,\n", "answer is empty"),
        ("quest,answer\nWhat?,x\n", "header lacks column"),
        ("question,answer,topic\nWhat is X?,X is y.,cooking\n", "unknown topic"),
    ],
)
def test_csv_errors_name_the_line(tmp_path, content, needle):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    with pytest.raises((CorpusError, InputFileError), match=needle) as exc:
        import_file(f)
    assert "bad.csv" in str(exc.value)


def test_broken_jsonl_line_is_named(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"question": "A?", "answer": "a thing here"}\n{broken\n')
    with pytest.raises(CorpusError, match="invalid JSON") as exc:
        import_file(f)
    assert "bad.jsonl:2" in str(exc.value)


def test_utf16_and_binary(tmp_path):
    f = tmp_path / "u16.csv"
    f.write_bytes("question,answer\nWhat is ü?,It is a letter with an umlaut.\n".encode("utf-16"))
    assert import_file(f)[0][0].question == "What is ü?"
    b = tmp_path / "bin.csv"
    b.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(InputFileError, match="binary"):
        import_file(b)


def test_auto_key_points_from_a_one_liner():
    kps = auto_key_points("Averaging is equivalent to uniform attention.")
    assert [k.text for k in kps] == ["Averaging is equivalent to uniform attention."]
