#!/usr/bin/env bash
#
# Logins per second on the embedded default: starts the API (Release build) on a temp data folder, logs the demo
# shopper in N times from P concurrent curl clients, prints the rate, stops the API.
#
#   bench/logins.sh [N=200] [P=4] [extra host environment, e.g. Commerce__Identity__PasswordHashIterations=210000]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-200}
P=${2:-4}
shift $(($# < 2 ? $# : 2))
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gc-logins.XXXXXX")
PORT=$((20000 + RANDOM % 20000))
dotnet build "$ROOT/src/Api" -c Release -v q -nologo >/dev/null
API_PID=
cleanup() { [[ -n $API_PID ]] && kill "$API_PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
(cd "$ROOT/src/Api" && env Commerce__DataDirectory="$TMP/data" \
    Commerce__Identity__RateLimits__LoginPerIp=1000000 Commerce__Identity__RateLimits__LoginPerAccount=1000000 "$@" \
    dotnet "bin/Release/net10.0/GlobalCommerce.Api.dll" --urls "http://127.0.0.1:$PORT" >"$TMP/api.log" 2>&1) &
API_PID=$!
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break
    sleep 0.2
done
login() {
    curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/api/auth/login" -H 'Content-Type: application/json' \
        -d '{"email":"shopper@demo.local","password":"Demo-Passw0rd!"}'
}
export -f login
export PORT
seq 1 20 | xargs -P "$P" -I{} bash -c login >/dev/null   # warm-up (JIT)
START=$(date +%s.%N)
CODES=$(seq 1 "$N" | xargs -P "$P" -I{} bash -c login)
END=$(date +%s.%N)
OK=$(grep -c '^200$' <<<"$CODES" || true)
python3 -c "import sys; n,ok,s,e=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4]); print(f'{ok}/{n} logins OK in {e-s:.2f} s: {ok/(e-s):.1f} logins/s')" "$N" "$OK" "$START" "$END"
