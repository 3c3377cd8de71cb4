"""BIG-bench import: the task.json converter on fixtures in the same format (choice with six
options, numbers in words and digits, exact strings, subtasks), the option shuffle, the sha256
check of the sdist, and loading imported tasks by name. No network: the archive is a small fake
sdist built here."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from agentarch.errors import ConfigError, DataError
from agentarch.tasks.answer_format import answer_format
from agentarch.tasks.bigbench import fetch
from agentarch.tasks.bigbench.convert import convert_task, number_value, shuffle_options
from agentarch.tasks.options import parse_options
from agentarch.tasks.registry import load_task

FIXTURES = Path(__file__).parent / "fixtures" / "bigbench" / "benchmark_tasks"


def spec(name: str) -> dict:
    return json.loads((FIXTURES / name / "task.json").read_text())


def build_sdist(path: Path) -> Path:
    """A .tar.gz laid out like the bigbench sdist, holding the fixture tasks."""
    with tarfile.open(path, "w:gz") as tar:
        for file in sorted(FIXTURES.rglob("task.json")):
            tar.add(file, arcname=f"bigbench-1.0.0/bigbench/benchmark_tasks/{file.relative_to(FIXTURES)}")
        readme = FIXTURES.parent / "README.md"
        tar.add(readme, arcname="bigbench-1.0.0/README.md")
    return path


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """Cache and task folder under tmp_path, the fake sdist in the cache, its digest pinned."""
    monkeypatch.setenv("AGENTARCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AGENTARCH_TASKS", str(tmp_path / "tasks"))
    sdist = fetch.sdist_path()
    sdist.parent.mkdir(parents=True)
    build_sdist(sdist)
    monkeypatch.setattr(fetch, "SDIST_SHA256", fetch._sha256(sdist))
    monkeypatch.setattr(fetch, "_download", lambda *a: pytest.fail("no download with a filled cache"))
    return tmp_path


def test_choice_lists_six_shuffled_options_and_the_right_letter():
    converted = convert_task(spec("color_choice"), "color_choice")
    assert converted.metric == "choice" and converted.options == 6 and not converted.skipped
    letters = set()
    for record in converted.records:
        options = parse_options(record["question"])
        assert list(options) == list("ABCDEF")
        assert options[record["answer"]] == record["answer_text"]
        letters.add(record["answer"])
    # BIG-bench lists the right option first; after the shuffle its letter varies.
    assert len(letters) >= 3, letters
    first = converted.records[0]
    assert first["answer_text"] == "blue"
    assert first["question"].startswith("Answer the question about the objects on the table.\n"
                                        "Q: On the table there is a red pen and a blue cup.")


def test_same_digits_and_words_are_one_option():
    records = convert_task(spec("color_choice"), "color_choice").records
    counting = [r for r in records if "How many" in r["question"]]
    assert [r["answer_text"] for r in counting] == ["3 (three)", "2 (two)"]
    for r in counting:
        assert sorted(parse_options(r["question"]).values()) == [
            "0 (zero)", "1 (one)", "2 (two)", "3 (three)", "4 (four)", "5 (five)"]


def test_shuffle_is_seeded_by_the_question():
    options = ["right", "w1", "w2", "w3", "w4", "w5"]
    assert shuffle_options(options, "q1") == shuffle_options(options, "q1")
    assert shuffle_options(options, "q1", seed=3) == shuffle_options(options, "q1", seed=3)
    orders = {tuple(shuffle_options(options, f"question {i}")) for i in range(20)}
    assert len(orders) > 10
    assert {order.index("right") for order in orders} != {0}
    seeds = {tuple(shuffle_options(options, "q1", seed=s)) for s in range(10)}
    assert len(seeds) > 1
    # the same task converts to the same questions twice
    assert convert_task(spec("color_choice"), "c") == convert_task(spec("color_choice"), "c")


def test_numbers_in_words_keep_both_forms():
    converted = convert_task(spec("count_words"), "count_words")
    assert converted.metric == "numeric"
    by_id = {r["id"]: r for r in converted.records}
    assert by_id["count_words-0000"]["answer"] == "three"
    assert by_id["count_words-0000"]["aliases"] == ["3"]
    assert by_id["count_words-0001"]["aliases"] == ["5"]  # the list's own digits, not twice
    assert "aliases" not in by_id["count_words-0002"]
    assert by_id["count_words-0003"]["aliases"] == ["14"]
    assert by_id["count_words-0000"]["question"] == ("How many words does the sentence have?\n"
                                                     "Sentence: The cat sat.\nCount:")
    assert number_value("twenty-one") == "21" and number_value("21 cats") == ""


def test_other_targets_are_exact():
    converted = convert_task(spec("sort_words"), "sort_words")
    assert converted.metric == "exact" and converted.options == 0
    assert converted.records[1]["answer"] == "cat mole zebra"
    assert converted.records[1]["question"].endswith("List: zebra mole cat\nSorted:")


def test_bad_task_json_names_the_task_and_example():
    with pytest.raises(DataError, match=r"broken: example 2: no 'target'"):
        convert_task({"examples": [{"input": "a", "target": "b"}, {"input": "c"}]}, "broken")
    with pytest.raises(DataError, match="broken: task.json has no examples"):
        convert_task({"examples": []}, "broken")


def test_more_than_26_options_or_two_right_ones_are_left_out():
    many = {f"option {i}": int(i == 0) for i in range(30)}
    tie = {"x": 1, "y": 1, "z": 0}
    ok = {"yes": 1, "no": 0}
    converted = convert_task({"examples": [{"input": "a", "target_scores": many},
                                           {"input": "b", "target_scores": tie},
                                           {"input": "c", "target_scores": ok}]}, "t")
    assert len(converted.records) == 1
    assert converted.skipped == {"more than 26 options": 1, "several right options": 1}


def test_sha256_mismatch_is_refused(tmp_path):
    bad = tmp_path / fetch.SDIST
    bad.write_bytes(b"not the archive")
    with pytest.raises(DataError) as exc:
        fetch.verify_sdist(bad)
    msg = str(exc.value)
    assert str(bad) in msg and "sha256 check failed" in msg and "Delete it" in msg
    assert fetch.SDIST_SHA256[:16] in msg


def test_import_on_first_use_then_read_from_the_task_folder(folders):
    task = load_task("bigbench:color_choice")
    assert task.name == "bigbench:color_choice" and len(task) == 8
    assert task.metric.name == "choice"
    assert (folders / "tasks" / "bigbench" / "color_choice.jsonl").exists()
    ex = task.examples[0]
    assert task.metric.score(f"Answer: ({ex.target})", ex) == 1.0
    assert task.metric.score(f"Answer: {ex.meta['answer_text']}", ex) == 1.0
    assert task.answer_format(task.examples) == "one letter (A)-(F)"
    # a second load reads the folder: the archive may be gone
    fetch.sdist_path().unlink()
    again = load_task("bigbench:color_choice")
    assert [e.input for e in again.examples] == [e.input for e in task.examples]
    split = again.split(seed=1)
    assert split == load_task("bigbench:color_choice").split(seed=1)


def test_numeric_and_exact_tasks_score_their_targets(folders):
    count = load_task("bigbench:count_words")
    first = count.get("count_words-0000")
    assert count.metric.score("Answer: 3", first) == 1.0
    assert count.metric.score("There are three words.", first) == 1.0
    assert count.metric.score("Answer: 4", first) == 0.0
    assert load_task("bigbench:count_words", metric="exact").metric.score("3", first) == 1.0
    words = load_task("bigbench:sort_words")
    assert words.metric.score("Answer: apple pear", words.examples[0]) == 1.0
    assert words.metric.score("Answer: pear apple", words.examples[0]) == 0.0


def test_subtasks_together_or_one(folders):
    both = load_task("bigbench:plus_one")
    assert len(both) == 4 and both.metric.name == "numeric"
    assert {e.id for e in both.examples} == {"plus_one-add_control-0000", "plus_one-add_control-0001",
                                             "plus_one-add_plus_one-0000", "plus_one-add_plus_one-0001"}
    one = load_task("bigbench:plus_one/add_plus_one")
    assert [e.target for e in one.examples] == ["9", "10"]
    assert one.examples[0].input.endswith("\n4 + 4 ->")
    with pytest.raises(ConfigError, match="no such subtask; plus_one has add_control, add_plus_one"):
        load_task("bigbench:plus_one/add_minus_one")


def test_unknown_task_suggests_a_close_name(folders):
    with pytest.raises(ConfigError, match="bigbench has no task 'sort_word'. Did you mean sort_words"):
        load_task("bigbench:sort_word")
    with pytest.raises(ConfigError, match="not a task name"):
        load_task("bigbench:../etc")


@pytest.fixture
def index(tmp_path, monkeypatch):
    """A package index on 127.0.0.1 serving the PEP 691 listing of bigbench and a fake sdist."""
    import http.server
    import threading

    sdist = build_sdist(tmp_path / "served.tar.gz").read_bytes()
    listing = json.dumps({"files": [{"filename": "bigbench-0.0.1.tar.gz", "url": "/files/old.tar.gz"},
                                    {"filename": fetch.SDIST, "url": "/files/new.tar.gz"}]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = {"/simple/bigbench/": listing, "/files/new.tar.gz": sdist}.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{server.server_address[1]}/simple")
    monkeypatch.setenv("AGENTARCH_CACHE", str(tmp_path / "cache"))
    yield hashlib.sha256(sdist).hexdigest(), len(sdist)
    server.shutdown()
    server.server_close()


def test_download_from_the_index_with_progress(index, monkeypatch):
    digest, size = index
    monkeypatch.setattr(fetch, "SDIST_SHA256", digest)
    seen = []
    path = fetch.ensure_sdist(lambda done, total: seen.append((done, total)))
    assert path == fetch.sdist_path() and fetch._sha256(path) == digest
    assert seen and seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_download_with_another_digest_is_not_kept(index):
    with pytest.raises(DataError, match="sha256 check failed"):
        fetch.ensure_sdist()
    assert list(fetch.cache_dir().iterdir()) == []


def test_an_index_without_the_pinned_sdist_says_where_a_copy_goes(index, monkeypatch):
    monkeypatch.setattr(fetch, "SDIST", "bigbench-9.9.9.tar.gz")
    with pytest.raises(DataError) as caught:
        fetch.ensure_sdist()
    msg = str(caught.value)
    assert "lists no bigbench-9.9.9.tar.gz (it lists bigbench-0.0.1.tar.gz, bigbench-1.0.0.tar.gz)" in msg
    assert str(fetch.cache_dir()) in msg and "PIP_INDEX_URL" in msg
