from mockint.corpus.markdown import clean_markdown, plain_text


def test_latex_inline_and_display_become_dollars():
    src = r"Cost \\(O(T^2 d)\\) and \\\[\\theta\_{j}:=\\theta\_{j}-\\alpha\\\]"
    assert clean_markdown(src) == "Cost $O(T^2 d)$ and $$\\theta_{j}:=\\theta_{j}-\\alpha$$\n"


def test_latex_line_break_survives_once():
    src = r"\\\[a \\\\ b\\\]"
    assert clean_markdown(src).strip() == r"$$a \\ b$$"


def test_escaped_brackets_bullets_images_and_code():
    src = "*   X = \\[1,5\\] and value\\_count\n\n![](/a/b/coeff1.png)\n\n```\nx = a\\_b [1]\n```\n1.  first"
    out = clean_markdown(src)
    assert "- X = [1,5] and value_count" in out
    assert "*(figure omitted: coeff1.png)*" in out
    assert "```\nx = a\\_b [1]\n```" in out  # code is kept byte for byte
    assert "1. first" in out


def test_plain_text_drops_markup():
    assert plain_text("```\ncode\n```\n- **A** [b](http://x)") == "A b"
