"""The bucket benchmark's report, merge, summaries and commands come from its figures alone."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from benchmarks.cassbench import cli, render, results, servers
from benchmarks.cassbench.suites import bucket
from benchmarks.cassbench.workspace import BENCH, EMU_SECRET_KEY

RUN = "2026-01-02T03:04:05Z"
LATER = "2026-02-01T00:00:00Z"


def _stat(value: float) -> Dict[str, float]:
    return {"med": value, "min": value * 0.9, "max": value * 1.1, "n": 3}


def _row(tool: str, name: str, conns: int, mbps: float, cpu: float, rss: float) -> Dict[str, Any]:
    return {
        "tool": tool, "name": name, "conns": conns, "n": 3, "ok": 3, "redone": 0, "noisy_kept": 0,
        "mbps": _stat(mbps), "wall": {"med": 1073.74 / mbps}, "cpu": {"med": cpu},
        "user": {"med": cpu / 2}, "sys": {"med": cpu / 2}, "rss": {"med": rss},
        "server_gib": {"med": 1.5}, "xfer": {}, "foreign": {"med": 0.0},
    }  # fmt: skip


def _small_row(op: str, tool: str, name: str, ops: float, cpu_ms: float, rss: float) -> Dict[str, Any]:
    return {
        **_row(tool, name, 8, ops * 0.262144, 0.0, rss),
        "op": op, "ops": _stat(ops), "xfer_ops": {"med": ops * 1.5}, "cpu_ms": {"med": cpu_ms},
        "user_ms": {"med": cpu_ms * 0.75}, "sys_ms": {"med": cpu_ms * 0.25}, "server_ms": {"med": 2.0},
    }  # fmt: skip


def _data() -> Dict[str, Any]:
    return {
        "size_text": "1 GiB",
        "workers": 8,
        "cap_mbps": 41.94304,
        "sections": ["dl", "ul", "small"],
        "download": {
            "conditions": [
                {
                    "condition": "capped-cold",
                    "cassdk_fsync": {"med": 0.42, "min": 0.3, "max": 0.6, "n": 3},
                    "rows": [
                        _row("cassdk", "**cassdk_like**", 8, 320.0, 2.0, 45.0),
                        _row("minio", "minio one stream", 1, 41.0, 1.0, 30.0),
                    ],
                },
                {
                    "condition": "uncapped-cold",
                    "rows": [
                        _row("cassdk", "**cassdk_like**", 8, 600.0, 2.0, 45.0),
                        _row("s5cmd", "s5cmd", 8, 800.0, 1.0, 15.0),
                    ],
                },
            ],
            "cap_check": {"bytes": 16 * 1024 * 1024, "seconds": 0.38, "mbps": 44.1},
        },
        "upload": {
            "servers": [
                {
                    "server": "rclone",
                    "rows": [
                        _row("cassdk", "**cassdk_like** up", 8, 150.0, 5.0, 42.0),
                        _row("boto3-8m", "boto3 8 MiB", 8, 120.0, 6.0, 70.0),
                    ],
                }
            ]
        },
        "small": {
            "objects": 2000,
            "object_kib": 256,
            "server": "emulator",
            "rows": [
                _small_row("put-many", "cassdk", "**cassdk_like** put", 400.0, 2.0, 38.0),
                _small_row("put-many", "boto3", "boto3 put_object", 250.0, 3.2, 56.0),
                _small_row("get-many", "cassdk", "**cassdk_like** get", 600.0, 1.8, 38.0),
                _small_row("get-many", "boto3", "boto3 get_object", 300.0, 3.0, 54.0),
            ],
        },
        "raw": [
            ["bucket download capped-cold 1g cassdk", ["320"]],
            ["bucket put-many emulator-cold 2000x256k cassdk", ["105"]],
        ],
        "failed": [
            "bucket get-many boto3 emulator-cold 2000x256k run 2: 3 of 2000 files missing or different"
        ],
    }


def _results(data: Dict[str, Any]) -> Dict[str, Any]:
    run = {"date": "2026-01-02 03:04:05 UTC", "commit": "abc1234", "command": "bash benchmarks/run.sh"}
    return results.merge(results.empty(), RUN, {**run, "what_ran": [], "notes": []}, {"bucket": data})


def test_download_rows_show_the_cap_share_per_connection_and_the_cap_check() -> None:
    text = render.render(_results(_data()))
    assert "## 8. Buckets over S3" in text
    # 320 / (8 x 41.94) = 95 %; minio's one stream is measured against one connection's cap
    assert "| **cassdk_like** | 8 | **320** (288-352) |" in text
    assert "| 45 | 1.50 | - | 95 % | 3/3 | 0.00 (0) |" in text
    assert "| minio one stream | 1 | **41** (37-45) |" in text
    assert "| 98 % |" in text
    assert "one signed 16 MiB ranged GET through the proxy took 0.38 s = 44.1 MB/s" in text
    assert "inside its wall time): median 0.42 (0.30-0.60) s; the peers never sync." in text
    uncapped = text.index("uncapped: the emulator's S3 service directly")
    assert "% of conns x cap" not in text[uncapped : text.index("### (b)")]


def test_small_objects_show_objects_per_second_and_cpu_per_object() -> None:
    text = render.render(_results(_data()))
    assert "### (c) 2,000 objects of 256 KiB, up then down, to the emulator's S3 service" in text
    assert (
        "| up (put) | **cassdk_like** put | 8 | **400** (360-440) | 105 | 600 | 2.00 (1.50/0.50) | 38 |"
        in text
    )
    assert "| down (get) | boto3 get_object | 8 | **300** (270-330) |" in text


def test_ratios_are_cassdk_over_each_peer_per_section() -> None:
    lines = bucket.ratio_lines(_data())
    assert "| download capped-cold | minio one stream | 7.80 | 2.00 | 1.50 |" in lines
    assert "| download uncapped-cold | s5cmd | 0.75 | 2.00 | 3.00 |" in lines
    assert "| upload to rclone | boto3 8 MiB | 1.25 | 0.83 | 0.60 |" in lines
    assert "| 2,000 x 256 KiB put-many | boto3 put_object | 1.60 | 0.62 | 0.68 |" in lines
    assert "| 2,000 x 256 KiB get-many | boto3 get_object | 2.00 | 0.60 | 0.70 |" in lines
    assert len(lines) == 2 + 5


def test_a_partial_run_keeps_the_sections_it_did_not_measure_with_their_run() -> None:
    old = _results(_data())["suites"]["bucket"]
    new = copy.deepcopy(_data())
    new.update(
        sections=["small"], raw=[["bucket put-many emulator-cold 2000x256k cassdk", ["110"]]], failed=[]
    )
    del new["download"], new["upload"]
    merged = bucket.merge(old, new, old["run"])
    assert merged["sections"] == ["dl", "ul", "small"]
    assert merged["download"]["run"] == RUN
    assert merged["upload"]["run"] == RUN
    assert "run" not in merged["small"]
    # raw data and failures of the kept sections stay; those of the re-measured one are replaced
    assert merged["raw"] == [
        ["bucket download capped-cold 1g cassdk", ["320"]],
        ["bucket put-many emulator-cold 2000x256k cassdk", ["110"]],
    ]
    assert merged["failed"] == []
    later = {"date": "2026-02-01 00:00:00 UTC", "commit": "def5678", "command": "--only bucket"}
    data = results.merge(_results(_data()), LATER, later, {"bucket": merged})
    assert set(data["runs"]) == {RUN, LATER}  # the kept sections' run is still described
    text = render.render(data)
    capped = text.index("### (a) Download 1 GiB, capped")
    assert text.index("at commit `abc1234`", capped) < text.index("| tool |", capped)
    small = text.index("### (c)")
    assert "at commit `abc1234`" not in text[small : text.index("### Ratios")]


def test_a_run_with_other_connections_replaces_everything() -> None:
    old = _results(_data())["suites"]["bucket"]
    new = {**copy.deepcopy(_data()), "workers": 4, "sections": ["small"]}
    del new["download"], new["upload"]
    assert bucket.merge(old, new, old["run"]) == new


def test_runs_referred_to_only_from_deep_inside_a_suite_are_kept() -> None:
    data = _results(_data())
    data["runs"]["old-run"] = {"date": "then"}
    data["runs"]["unused"] = {"date": "never"}
    data["suites"]["bucket"]["upload"]["run"] = "old-run"
    kept = results.merge(data, RUN, None, {})
    assert set(kept["runs"]) == {RUN, "old-run"}


def test_small_summaries_count_objects_and_leave_out_failed_and_redone_runs() -> None:
    base = {"bytes": 200 * 262144, "objects": 200, "rss_kib": 40960, "server_cpu": 0.4}
    runs: List[Dict[str, Any]] = [
        {**base, "wall": 0.5, "user": 0.3, "sys": 0.1, "ok": True, "client": {"transfer_s": 0.25}},
        {**base, "wall": 1.0, "user": 0.3, "sys": 0.1, "ok": True, "client": {}},
        {**base, "wall": 0.1, "user": 0.0, "sys": 0.0, "ok": True, "superseded": True, "client": {}},
        {**base, "wall": 9.0, "user": 5.0, "sys": 5.0, "ok": False, "client": {}},
    ]
    s = bucket.summarize_small(runs)
    assert (s["n"], s["ok"], s["redone"]) == (3, 2, 1)
    assert s["ops"] == {"med": 300.0, "min": 200.0, "max": 400.0, "n": 2}
    assert s["xfer_ops"]["med"] == 800.0
    assert s["cpu_ms"]["med"] == 2.0
    assert s["server_ms"]["med"] == 2.0


def test_commands_give_every_tool_the_same_object_and_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bucket, "s5cmd_binary", lambda: "/venv/s5cmd")
    url = "http://127.0.0.1:18385"
    assert bucket.command("s5cmd", "download", url, 8, key="big.bin", file="/o/x") == [
        "/venv/s5cmd", "--endpoint-url", url, "--numworkers", "8", "cp", "--concurrency", "8",
        "s3://bench/big.bin", "/o/x",
    ]  # fmt: skip
    assert bucket.command("s5cmd", "put-many", url, 8, prefix="small/s5cmd/1/", folder="/src")[-2:] == [
        "/src/*",
        "s3://bench/small/s5cmd/1/",
    ]
    assert bucket.command("s5cmd", "get-many", url, 8, prefix="small/s5cmd/1/", folder="/out")[-2:] == [
        "s3://bench/small/s5cmd/1/*",
        "/out/",
    ]
    boto = bucket.command("boto3-32m", "upload", url, 8, key="k", file="/f")
    assert boto[boto.index("--client") + 1] == "boto3"
    assert boto[boto.index("--chunk-mib") + 1] == "32"
    assert boto[boto.index("--workers") + 1] == "8"
    assert boto[-4:] == ["--key", "k", "--file", "/f"]
    minio = bucket.command("minio", "get-many", url, 8, prefix="p/", folder="/o", names_from="/src")
    assert minio[minio.index("--chunk-mib") + 1] == "0"
    assert minio[-2:] == ["--names-from", "/src"]
    assert bucket.connections("minio", "download", 8) == 1
    assert bucket.connections("minio", "upload", 8) == 8
    assert bucket.small_tools(["cassdk", "boto3-8m", "boto3-32m", "s5cmd"]) == ["cassdk", "boto3", "s5cmd"]


def test_cassdk_options_go_to_cassdk_only() -> None:
    url = "http://127.0.0.1:18385"
    mine = bucket.command("cassdk", "upload", url, 8, "buffer_parts=true", key="k", file="/f")
    assert mine[-2:] == ["--opt", "buffer_parts=true"]
    assert "--opt" not in bucket.command(
        "boto3-32m", "upload", url, 8, "buffer_parts=true", key="k", file="/f"
    )
    assert "--opt" not in bucket.command("cassdk", "upload", url, 8, key="k", file="/f")


def test_config_options_parse_to_numbers_and_booleans() -> None:
    sys.path.insert(0, str(Path(bucket.__file__).parents[2] / "clients"))
    try:
        from config_opts import parse_opts
    finally:
        sys.path.pop(0)
    assert parse_opts("request_seconds=1.0, buffer_parts=True,writeback_size=0") == {
        "request_seconds": 1.0,
        "buffer_parts": True,
        "writeback_size": 0,
    }
    assert parse_opts("") == {}


def test_only_s5cmd_gets_the_key_pair_in_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-key-of-the-user")
    assert bucket.client_env("s5cmd")["AWS_SECRET_ACCESS_KEY"] == EMU_SECRET_KEY
    assert "AWS_SECRET_ACCESS_KEY" not in bucket.client_env("cassdk")  # the rest get it on the command line


def test_bucket_options_are_checked_and_quick_runs_use_fewer_objects() -> None:
    assert cli.parse_args(["--only", "bucket"]).bucket_objects == 2000
    quick = cli.parse_args(["--quick", "--only", "bucket"])
    assert quick.bucket_objects == 200
    assert quick.bucket_tool_list == list(bucket.TOOLS)
    assert quick.bucket_ul_server_list == ["rclone", "emulator"]
    for bad in (
        ["--bucket-tools", "cassdk,aws-cli"],
        ["--bucket-sections", "dl,big"],
        ["--bucket-objects", "0"],
    ):
        with pytest.raises(SystemExit):
            cli.parse_args(["--only", "bucket", *bad])
    ports = cli.parse_args([]).ports
    assert ports["s3_capped"] == 18084
    assert len(set(ports.values())) == 5


def test_the_nginx_template_caps_the_s3_proxy_with_large_buffers(tmp_path: Path) -> None:
    template = (BENCH / "nginx.conf.template").read_text()
    ports = {"uncapped": 1, "capped": 2, "uncapped_log": 3, "capped_log": 4, "s3_capped": 5}
    text = servers.nginx_conf(template, ports, ["location = /x { }"], 18385, "user root;", tmp_path)
    proxy = text[text.index("listen 127.0.0.1:5;") :]
    assert "server 127.0.0.1:18385;" in text
    assert "limit_rate 40m;" in proxy
    assert "proxy_set_header Host $http_host;" in proxy  # SigV4 signed the client's Host
    assert "proxy_buffers 8 1m;" in proxy
    assert "proxy_max_temp_file_size 0;" in proxy
    del ports["s3_capped"]
    with pytest.raises(SystemExit, match="@PORT_S3_CAPPED@"):
        servers.nginx_conf(template, ports, [], 18385, "user root;", tmp_path)
