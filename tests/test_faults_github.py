"""Issue #4, GitHub faults: injected through the loopback fake GitHub, through the real PyGithub.

A refused comment is found and moved to the body; a lost response never makes a second review;
secondary rate limits are waited out; a read-only token falls back to annotations; and a run repeated
after any failure posts each finding exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_review import github_client
from tests.support.fault_world import PLANT_LINE, World, annotation_lines, file_name, for_file, world

REVIEWS = r"/pulls/7/reviews$"


def _inline(w: World) -> list[tuple[str, int]]:
    return sorted((c["path"], c["line"]) for c in w.gh.review_comments)


def _fingerprints(w: World) -> list[str]:
    from batch_review.memory.markers import posted_findings

    bodies = [c["body"] for c in w.gh.review_comments] + [r["body"] or "" for r in w.gh.reviews]
    return sorted(f.fingerprint for body in bodies for f in posted_findings(body, None))


def test_a_comment_github_refuses_is_found_and_moved_to_the_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 4) as w:
        refusal = w.gh.refuse_comment(file_name(2), PLANT_LINE)  # in the diff: our pre-check accepts it
        result = w.run()

        assert result.code == 0, result.log
        assert refusal.hits >= 2  # the review itself, then at least one narrowing probe
        assert [r["state"] for r in w.gh.reviews] == ["COMMENTED"]  # one review, no pending probe left over
        assert _inline(w) == [(file_name(i), PLANT_LINE) for i in (0, 1, 3)]
        body = w.gh.reviews[0]["body"]
        assert "defect number 2" in body and f"`{file_name(2)}:{PLANT_LINE}`" in body
        assert "GitHub refused it as an inline comment" in body
        assert body.count("<!-- batch-review:finding ") == 1
        placements = {f["path"]: f["placement"] for f in w.env.report()["findings"]}
        assert placements == {file_name(0): "inline", file_name(1): "inline", file_name(2): "body",
                              file_name(3): "inline"}
        assert "1 moved to the body" in w.env.report()["published"]["review"]
        writes = [c for c in w.gh.calls if c.method in ("POST", "DELETE") and "/pulls/7/reviews" in c.path]
        accepted_probes = [i for i, c in enumerate(writes)
                           if c.method == "POST" and c.status == 200 and "event" not in (c.json or {})]
        assert accepted_probes  # pending reviews (no event) that GitHub took...
        assert all(writes[i + 1].method == "DELETE" for i in accepted_probes)  # ...each deleted at once


def test_a_502_after_the_review_was_created_does_not_post_it_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.gh.inject("POST", REVIEWS, 502, after_effect=True)
        result = w.run()

        assert result.code == 0, result.log
        assert w.gh.count("POST", REVIEWS) == 1  # PyGithub did not re-send the POST by itself
        assert len(w.gh.reviews) == 1 and len(w.gh.review_comments) == 3
        assert "was created despite the error" in result.log
        assert w.env.outputs()["status"] == "findings"


def test_a_502_before_the_review_was_created_posts_it_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.gh.inject("POST", REVIEWS, 502)
        result = w.run()

        assert result.code == 0, result.log
        assert w.gh.count("POST", REVIEWS) == 2
        assert len(w.gh.reviews) == 1 and len(w.gh.review_comments) == 3


def test_secondary_rate_limits_on_reads_and_on_the_review_are_waited_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.gh.secondary_rate_limit("GET", r"/pulls/7/files$", status=403)
        w.gh.secondary_rate_limit("GET", REVIEWS, status=429)
        w.gh.secondary_rate_limit("POST", REVIEWS, status=403)
        w.gh.secondary_rate_limit("POST", REVIEWS, status=429)  # the second attempt is limited too
        result = w.run()

        assert result.code == 0, result.log
        limited = [(c.method, c.status) for c in w.gh.calls if c.status in (403, 429)]
        assert limited == [("GET", 403), ("GET", 429), ("POST", 403), ("POST", 429)]  # each waited out once
        assert len(w.gh.reviews) == 1 and len(w.gh.review_comments) == 3
        assert w.gh.count("POST", REVIEWS) == 3
        assert result.log.count("GitHub rate limit while creating the review; waiting 1 s") == 2
        assert w.env.outputs()["status"] == "findings"


def test_a_read_only_token_falls_back_to_annotations_and_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3, fork=True) as w:
        w.gh.read_only = True  # a fork's pull_request token
        result = w.run(**{"fail-on": "critical"})

        assert result.code == 0, result.log
        assert w.gh.reviews == [] and w.gh.check_runs == []
        lines = annotation_lines(result.log, "error")  # high findings are errors
        assert sorted(line.split(",")[0] for line in lines) == [f"::error file={file_name(i)}" for i in range(3)]
        assert all(f",line={PLANT_LINE}," in line for line in lines)
        assert "cannot write to this pull request" in result.log and "annotations" in result.log
        summary = w.env.summary()
        assert summary.count("| annotation |") == 3
        published = w.env.report()["published"]
        assert "read-only token" in published["review"]
        assert published["check run"].startswith("skipped")
        assert w.env.outputs()["status"] == "findings"


# ---- a run repeated after a failure posts each finding exactly once -------------------------------------


def test_a_review_that_could_not_be_posted_fails_the_run_and_the_rerun_posts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(github_client, "WRITE_BACKOFF", 0.01)
    with world(tmp_path, monkeypatch, 3) as w:
        w.gh.inject("POST", REVIEWS, 500, times=1000)
        first = w.run()

        assert first.code == 2  # findings nobody can see on the PR are not a green run
        assert w.gh.reviews == []
        report = w.env.report()
        assert report["status"] == "failed" and report["error_kind"] == "publish"
        assert "could not create the review" in report["error"] and "500" in report["error"]
        assert report["published"]["review"].startswith("failed")
        assert len(report["findings"]) == 3  # nothing lost: the report and summary still list them
        assert "defect number 1" in w.env.summary()
        assert w.gh.check_runs[-1]["conclusion"] == "failure"

        w.gh.clear_faults()
        second = w.run()
        assert second.code == 0, second.log
        assert len(w.gh.reviews) == 1
        assert _inline(w) == [(file_name(i), PLANT_LINE) for i in range(3)]


def test_a_run_that_died_after_posting_posts_nothing_new_when_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batch_review import action, actions_env

    original = actions_env.write_outputs
    with world(tmp_path, monkeypatch, 3) as w:

        def killed(*args: object, **kwargs: object) -> None:
            raise KeyboardInterrupt("the runner cancelled the job")

        monkeypatch.setattr(action, "write_outputs", killed)
        with pytest.raises(KeyboardInterrupt):
            w.run()
        assert len(w.gh.reviews) == 1 and len(w.gh.review_comments) == 3

        monkeypatch.setattr(action, "write_outputs", original)
        second = w.run()
        assert second.code == 0, second.log
        assert len(w.gh.reviews) == 1 and len(w.gh.review_comments) == 3
        assert "nothing new" in w.env.report()["published"]["review"]
        assert {f["placement"] for f in w.env.report()["findings"]} == {"carried"}  # nothing sent again


def test_a_partial_run_then_a_full_one_posts_each_finding_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 4) as w:
        w.ai.inject("refusal", times=1, match=for_file(file_name(1)))
        first = w.run()
        assert first.code == 0, first.log
        assert w.env.outputs()["status"] == "partial"
        assert _inline(w) == [(file_name(i), PLANT_LINE) for i in (0, 2, 3)]
        assert file_name(1) in w.gh.reviews[0]["body"]  # named as not reviewed

        second = w.run()
        assert second.code == 0, second.log
        assert w.env.outputs()["status"] == "findings"
        assert len(w.gh.reviews) == 2  # the second carries only what is new
        assert _inline(w) == [(file_name(i), PLANT_LINE) for i in range(4)]
        fingerprints = _fingerprints(w)
        assert len(fingerprints) == 4 and len(set(fingerprints)) == 4

        third = w.run()
        assert third.code == 0
        assert len(w.gh.reviews) == 2 and len(w.gh.review_comments) == 4
