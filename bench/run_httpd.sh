#!/usr/bin/env bash
# HTTP server benchmark (lib/httpd, docs/httpd.md "Performance"): requests
# per second of a trivial handler (GET /hello, 6 bytes) measured with wrk
# (2 threads, 64 keep-alive connections) over HTTP and HTTPS, with 1 and 2
# worker loops; then new-connection rates (Connection: close, so a TLS
# handshake per request over HTTPS) next to `openssl s_server -HTTP` as a
# peer, run in the same invocation. nginx is used as a second peer if it is
# installed.
#
# Builds build-bench-httpd/ (release; only the test server). Results go to
# build-bench-httpd/results/<date-time>/ (summary.md and the wrk outputs).
# Exits non-zero only if a step fails, never because of a figure.
#
# Usage: bash bench/run_httpd.sh [--quick]
#   --quick   3-second runs instead of 15 (rough figures)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

secs=15
for arg in "$@"; do
	case $arg in
	--quick) secs=3 ;;
	-h | --help)
		sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run_httpd.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

top=build-bench-httpd
out=$top/results/$(date +%Y%m%d-%H%M%S)
pki=$out/pki
failed=()
pids=()

note() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
fail() {
	echo "run_httpd.sh: FAILED: $*" >&2
	failed+=("$1")
}

# Stops every server this script started, by PID.
stop_pid() {
	local p=$1
	kill "$p" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}
cleanup() {
	for p in "${pids[@]}"; do stop_pid "$p"; done
	pids=()
}
trap cleanup EXIT

for tool in wrk openssl; do
	if ! command -v "$tool" >/dev/null; then
		echo "run_httpd.sh: $tool is missing (bash scripts/deps.sh installs it)" >&2
		exit 1
	fi
done

load0=$(cut -d' ' -f1-3 /proc/loadavg)

note "build $top (release)"
if [[ -f $top/meson-private/coredata.dat ]]; then
	meson setup --reconfigure "$top" --buildtype=release -Dwerror=false >/dev/null
else
	meson setup "$top" --buildtype=release -Dwerror=false >/dev/null
fi || {
	echo "run_httpd.sh: meson setup failed" >&2
	exit 1
}
meson compile -C "$top" tests/httpd/httpd-test-server >/dev/null || {
	echo "run_httpd.sh: build failed" >&2
	exit 1
}
server=$top/tests/httpd/httpd-test-server
mkdir -p "$pki"

note "test PKI (P-256 CA and server certificate)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/ca.key" \
	-out "$pki/ca.pem" -days 2 -subj "/CN=bench CA" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/srv.key" \
		-out "$pki/srv.csr" -subj "/CN=localhost" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$pki/ext.cnf" &&
	openssl x509 -req -in "$pki/srv.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
		-CAcreateserial -out "$pki/srv.pem" -days 2 -extfile "$pki/ext.cnf" 2>/dev/null ||
	{
		echo "run_httpd.sh: openssl failed" >&2
		exit 1
	}

# start_ours NAME ARGS...: starts the test server, sets $port and $spid.
start_ours() {
	local name=$1
	shift
	"$server" --listen 127.0.0.1:0 --max-conns 4096 "$@" >"$out/$name.server" 2>&1 &
	spid=$!
	pids+=("$spid")
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/^ready \([0-9]*\).*/\1/p' "$out/$name.server")
		[[ -n $port ]] && return 0
		sleep 0.05
	done
	fail "$name: server did not start"
	return 1
}

# bench NAME URL [wrk args...]: one wrk run, output kept in NAME.wrk.
bench() {
	local name=$1 url=$2
	shift 2
	echo "wrk $* $url" >"$out/$name.wrk"
	if ! wrk -t2 -c64 -d"${secs}s" --latency "$@" "$url" >>"$out/$name.wrk" 2>&1; then
		fail "$name: wrk"
	fi
	local rps p50 p99 errs
	rps=$(sed -n 's/^Requests\/sec: *//p' "$out/$name.wrk")
	p50=$(awk '$1 == "50%" {print $2}' "$out/$name.wrk")
	p99=$(awk '$1 == "99%" {print $2}' "$out/$name.wrk")
	errs=$(grep -E 'Non-2xx|Socket errors' "$out/$name.wrk" | tr '\n' ' ')
	printf '| %s | %s | %s | %s | %s |\n' "$name" "${rps:-?}" "${p50:-?}" "${p99:-?}" \
		"${errs:-none}" >>"$out/table.md"
	echo "$name: ${rps:-?} req/s, p50 ${p50:-?}, p99 ${p99:-?} ${errs}"
}

run_ours() {
	local name=$1 scheme=$2 workers=$3
	shift 3
	local tls=()
	[[ $scheme == https ]] && tls=(--cert "$pki/srv.pem" --key "$pki/srv.key")
	start_ours "$name" --workers "$workers" "${tls[@]}" || return
	bench "$name" "$scheme://127.0.0.1:$port/hello" "$@"
	stop_pid "$spid"
}

printf '| run | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|\n' >"$out/table.md"

note "cocoon httpd, keep-alive (wrk -t2 -c64, ${secs}s each)"
run_ours http-1worker http 1
run_ours http-2workers http 2
run_ours https-1worker https 1
run_ours https-2workers https 2

note "new connection per request (Connection: close)"
run_ours http-close-2workers http 2 -H "Connection: close"
run_ours https-close-2workers https 2 -H "Connection: close"

note "peer: openssl s_server -HTTP (one thread; one handshake per request)"
# -HTTP serves a file holding a whole response (-www's has no length, which
# wrk cannot read); run from $out, where that file is.
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n' \
	>"$out/hello"
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$out" && exec openssl s_server -quiet -HTTP -accept "127.0.0.1:$sport" -cert pki/srv.pem \
	-key pki/srv.key >s_server.log 2>&1) &
spid=$!
pids+=("$spid")
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null && break
	sleep 0.05
done
bench "openssl-s_server-HTTP" "https://127.0.0.1:$sport/hello"

# s_time: one client, one new TLS connection after the other (full
# handshake, no request) against both servers: handshake latency without
# wrk's queueing.
stime() {
	local name=$1 port=$2 line
	line=$(timeout $((secs + 20)) openssl s_time -connect "127.0.0.1:$port" -new -time "$secs" \
		2>/dev/null | grep 'connections in .* real seconds')
	echo "$name: ${line:-failed}"
	printf '| %s | %s |\n' "$name" "${line:-failed}" >>"$out/stime.md"
	[[ -n $line ]] || fail "$name: s_time"
}
note "handshakes, one client (openssl s_time -new, ${secs}s each)"
printf '| server | openssl s_time -new |\n|---|---|\n' >"$out/stime.md"
stime "openssl s_server" "$sport"
stop_pid "$spid"
if start_ours s_time-2workers --workers 2 --cert "$pki/srv.pem" --key "$pki/srv.key"; then
	stime "cocoon httpd (2 workers)" "$port"
	stop_pid "$spid"
fi

if command -v nginx >/dev/null; then
	note "peer: nginx (2 workers, return 200)"
	nd=$out/nginx
	mkdir -p "$nd"
	nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$nd/nginx.conf" <<EOF
worker_processes 2;
pid $PWD/$nd/nginx.pid;
error_log $PWD/$nd/error.log;
daemon off;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $PWD/$nd; proxy_temp_path $PWD/$nd; fastcgi_temp_path $PWD/$nd;
	uwsgi_temp_path $PWD/$nd; scgi_temp_path $PWD/$nd;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $PWD/$pki/srv.pem; ssl_certificate_key $PWD/$pki/srv.key;
		location / { return 200 "hello\n"; }
	}
}
EOF
	nginx -c "$PWD/$nd/nginx.conf" &
	spid=$!
	pids+=("$spid")
	sleep 0.5
	bench "nginx-https" "https://127.0.0.1:$nport/"
	stop_pid "$spid"
else
	echo "run_httpd.sh: nginx is not installed: that peer is skipped"
fi

{
	echo "# lib/httpd benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "$(nproc) CPUs ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1))," \
		"wrk -t2 -c64 -d${secs}s, GET of a 6-byte body; the server and wrk share the CPUs;" \
		"load average at the start: $load0."
	echo
	cat "$out/table.md"
	echo
	cat "$out/stime.md"
} >"$out/summary.md"
note "summary ($out/summary.md)"
cat "$out/summary.md"

if ((${#failed[@]} > 0)); then
	echo "run_httpd.sh: failed: ${failed[*]}" >&2
	exit 1
fi
