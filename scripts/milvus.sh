#!/usr/bin/env bash
# A real Milvus standalone for tests and benchmarks, from the PyPI package `milvus` (no Docker):
#   scripts/milvus.sh start   # background, data in $MILVUS_DIR (default .milvus), waits until it answers
#   scripts/milvus.sh stop
# It listens on 127.0.0.1:19530. Used by `make milvus` / `make milvus-stop` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
DIR="$(mkdir -p "${MILVUS_DIR:-.milvus}" && cd "${MILVUS_DIR:-.milvus}" && pwd)"
answers() {
    "$BIN/python" - <<'PY' 2>/dev/null
import sys
from pymilvus import MilvusClient
try:
    MilvusClient(uri="http://127.0.0.1:19530", timeout=3).get_server_version()
except Exception:
    sys.exit(1)
PY
}
case "${1:-}" in
start)
    if answers; then echo "Milvus already answers on 127.0.0.1:19530"; exit 0; fi
    # gracefulStopTimeout: by default a SIGTERM waits up to 30 minutes for segment hand-offs
    # that cannot happen in a standalone; 10 s makes stop quick and clean.
    setsid nohup "$BIN/milvus-server" --data "$DIR" --extra-config common.gracefulStopTimeout=10 \
        >"$DIR/server.log" 2>&1 < /dev/null &
    echo $! >"$DIR/server.pid"
    for _ in $(seq 1 90); do
        if answers; then echo "Milvus answers on 127.0.0.1:19530 (data $DIR, log $DIR/server.log)"; exit 0; fi
        if ! kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; then tail -20 "$DIR/server.log" >&2; exit 1; fi
        sleep 2
    done
    echo "Milvus did not answer within 180 s (log: $DIR/server.log)" >&2
    exit 1
    ;;
stop)
    # The wrapper (server.pid) runs the real server as a child: SIGTERM the child (a clean stop
    # within gracefulStopTimeout), SIGKILL it if it lingers, then SIGINT the wrapper, which is
    # the signal it handles (SIGTERM would leave the child serving).
    child="$(pgrep -f "$DIR/bin/milvus run standalone" || true)"
    if [ -n "$child" ]; then
        kill $child 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 $child 2>/dev/null || break; sleep 1; done
        kill -9 $child 2>/dev/null || true
    fi
    if [ -f "$DIR/server.pid" ]; then
        kill -INT "$(cat "$DIR/server.pid")" 2>/dev/null || true
        rm -f "$DIR/server.pid"
    fi
    if [ -n "$child" ]; then echo "Milvus stopped"; else echo "no Milvus of $DIR is running"; fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
