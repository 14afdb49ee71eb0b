#!/usr/bin/env bash
# Instructions per datagram, counted by valgrind's callgrind (user space, every thread):
# a script sends N datagrams to its own socket over loopback, 64 a turn, the next 64
# once the last have come (so none is dropped), and counts them in a message listener.
# Run with N datagrams and with none; the difference over N is one datagram's send,
# receive, event and listener. The same under Node's dgram when node is installed.
# Counts do not wander with a shared machine's load as times do (docs/PERFORMANCE.md).
#
#   scripts/instructions.sh [WXUDP_BINARY] [N]
set -euo pipefail
bin=${1:-target/release/wxudp}
n=${2:-20000}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat > "$dir/wx.js" <<'JS'
const N = __N__;
const s = wx.createUDPSocket();
let got = 0, sent = 0, sum = 0;
s.onMessage(function (r) {
  got++;
  sum += r.remoteInfo.size;
  if (got === N) s.close();
  else if (got === sent) burst();
});
const port = s.bind();
function burst() {
  for (let i = 0; i < 64 && sent < N; i++, sent++) s.send({ address: '127.0.0.1', port: port, message: 'hello' });
}
if (N === 0) s.close(); else burst();
JS

cat > "$dir/node.js" <<'JS'
const dgram = require('dgram');
const N = Number(process.env.N);
const s = dgram.createSocket('udp4');
let got = 0, sent = 0, sum = 0, port = 0;
s.on('message', function (msg, rinfo) {
  got++;
  sum += rinfo.size;
  if (got === N) s.close();
  else if (got === sent) burst();
});
function burst() {
  for (let i = 0; i < 64 && sent < N; i++, sent++) s.send('hello', port, '127.0.0.1');
}
s.bind(0, '127.0.0.1', function () { port = s.address().port; if (N === 0) s.close(); else burst(); });
JS

# Instructions of one run of "$@" under callgrind.
count() {
    valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

wx_run() {
    sed "s/__N__/$1/" "$dir/wx.js" > "$dir/run$1.js"
    count "$bin" run "$dir/run$1.js" --timeout 600
}

base=$(wx_run 0)
full=$(wx_run "$n")
wx=$(( (full - base) / n ))
echo "wxudp run:      $wx instructions per datagram ($n datagrams)"
if command -v node >/dev/null; then
    nbase=$(N=0 count node "$dir/node.js")
    nfull=$(N=$n count node "$dir/node.js")
    node=$(( (nfull - nbase) / n ))
    echo "node dgram:     $node instructions per datagram ($n datagrams)"
    awk -v a="$wx" -v b="$node" 'BEGIN { printf "ratio:          %.2fx Node\n", a / b }'
fi
