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
    nohup "$BIN/milvus-server" --data "$DIR" >"$DIR/server.log" 2>&1 &
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
    if [ -f "$DIR/server.pid" ] && kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; then
        kill "$(cat "$DIR/server.pid")"
        for _ in $(seq 1 30); do kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null || break; sleep 1; done
        rm -f "$DIR/server.pid"
        echo "Milvus stopped"
    else
        echo "no Milvus started by this script is running"
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
