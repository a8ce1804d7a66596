#!/usr/bin/env bash
# Builds the seed corpus of every harness from tests/data (nothing of it
# is checked in): seeds.sh OUTDIR MKPCAP
#   OUTDIR/fuzz_nginx/      demo access.log and error.log in 16-line pieces,
#                           apache-combined.log
#   OUTDIR/fuzz_formats/    "NAME\n" + each format's sample log (8-line pieces)
#   OUTDIR/fuzz_lineparse/  every log of tests/data, whole (first 64 lines)
#   OUTDIR/fuzz_logformat/  log_format text, NUL, lines it should parse
#   OUTDIR/fuzz_packets/    every pktgen scenario as pcap and pcapng (MKPCAP)
#   OUTDIR/fuzz_core/       tests/data/core/stamps.txt, demo access.log (16)
#   OUTDIR/fuzz_block/      small blocks (a column count byte, a block)
set -euo pipefail
out=$1
mkpcap=$2
data="$(cd "$(dirname "$0")/../data" && pwd)"
rm -rf "$out"
mkdir -p "$out"/fuzz_nginx "$out"/fuzz_formats "$out"/fuzz_lineparse \
    "$out"/fuzz_logformat "$out"/fuzz_packets "$out"/fuzz_core "$out"/fuzz_block

# pieces FILE N DIR PREFIX [HEADER]: FILE cut into N-line pieces
pieces() {
	local file=$1 n=$2 dir=$3 prefix=$4 header=${5-}
	local total i=0
	total=$(wc -l <"$file")
	while [ $((i * n)) -lt "$total" ] || [ "$i" -eq 0 ]; do
		{ [ -n "$header" ] && printf '%s\n' "$header"
		  sed -n "$((i * n + 1)),$(((i + 1) * n))p" "$file"; } \
		    >"$dir/$prefix-$i"
		i=$((i + 1))
	done
}

pieces "$data/demo/access.log" 16 "$out/fuzz_nginx" access
# store/block.c, raw method: 1 column (byte 0), 1 row of text "a"; 2
# columns, 2 rows: integers 5, 6 and a NULL then text "/p"
printf '\000\000\010\001\001\002\002\001\002\001a' >"$out/fuzz_block/text"
printf '\001\000\021\002\002\002\001\002\002\012\002\004\000\001\002\001\003\002/p' \
    >"$out/fuzz_block/two"
# zstd method: 2 columns, 20 rows of 7 * r and "/api/v1/items/xx" (block.c)
printf '\001\001\363\002\050\265\057\375\140\163\000\075\001\000\360\024\002\002\001\024\024\000\016\002\002\024\324\002\020\057\141\160\151\057\166\061\057\151\164\145\155\163\057\170\170\002\000\200\150\252\315\003\134' \
    >"$out/fuzz_block/zstd"
# method 3 (fixed sections): 1 column, 1 row: 4-byte integer 0x07060504;
# 2 columns, 20 rows: addresses 10.0.0.r as 4 bytes, "::1" every fifth
# row, and 7 * r (block.c, block_enc_u32_cols)
printf '\000\003\015\010\000\001\001\000\001\002\004\001\000\004\004\005\006\007' \
    >"$out/fuzz_block/fixed"
printf '\001\003\177\076\047\050\265\057\375\040\076\365\000\000\240\024\002\000\001\020\002\001\004\004\020\003\072\072\061\002\001\024\024\000\016\003\000\070\257\000\116\317\271\043\100\002\000\000\012\003\000\000\012\004\000\000\012\005\000\000\012\007\000\000\012\010\000\000\012\011\000\000\012\012\000\000\012\014\000\000\012\015\000\000\012\016\000\000\012\017\000\000\012\021\000\000\012\022\000\000\012\023\000\000\012\024\000\000\012' \
    >"$out/fuzz_block/fixed_zstd"
cp "$data/core/stamps.txt" "$out/fuzz_core/stamps"
head -n 16 "$data/demo/access.log" >"$out/fuzz_core/access"
pieces "$data/demo/error.log" 16 "$out/fuzz_nginx" error
cp "$data/formats/apache-combined.log" "$out/fuzz_nginx/apache-combined"

for f in haproxy envoy envoy-json caddy traefik traefik-json alb clf; do
	pieces "$data/formats/$f.log" 8 "$out/fuzz_formats" "$f" "$f"
done
# fixtures read by a format of another name
pieces "$data/formats/envoy-gateway.log" 8 "$out/fuzz_formats" \
    envoy-gateway envoy-json
pieces "$data/formats/traefik-forwardauth.log" 8 "$out/fuzz_formats" \
    traefik-forwardauth traefik-json

for f in "$data"/formats/*.log "$data"/formats/other.txt \
    "$data"/demo/access.log "$data"/demo/error.log; do
	head -n 64 "$f" >"$out/fuzz_lineparse/$(basename "$f")"
done

# log_format text, a NUL, then lines
lf() {
	local name=$1 text=$2 lines=$3
	{ printf '%s\0' "$text"; cat "$lines"; } >"$out/fuzz_logformat/$name"
}
upstream=$(sed -n "s/^ *log_format upstream \(.*\);\$/\1/p" \
    "$data/demo/nginx.conf")
head -n 8 "$data/demo/access.log" >"$out/lf-lines"
lf upstream "$upstream" "$out/lf-lines"
lf combined "'\$remote_addr - \$remote_user [\$time_local] \"\$request\" \$status \$body_bytes_sent \"\$http_referer\" \"\$http_user_agent\"'" \
    "$data/formats/apache-combined.log"
lf pasted "\$remote_addr [\$time_local] \"\$request\" \$status \$request_time \$upstream_addr \$upstream_status \$upstream_response_time \$request_id" \
    "$out/lf-lines"
lf json "escape=json '{\"t\":\"\$time_iso8601\",\"a\":\"\$remote_addr\",\"r\":\"\$request\",\"s\":\$status,\"u\":\"\$upstream_addr\",\"us\":\"\$upstream_status\",\"c\":\"\$http_cookie\",\"m\":\$msec}'" \
    "$out/lf-lines"
lf braces "'\${remote_addr}:\${remote_port} \$host \$request_method \$uri?\$args \$status \$upstream_connect_time \$upstream_header_time \$bytes_sent \$http_x_request_id'" \
    "$out/lf-lines"
rm -f "$out/lf-lines"

"$mkpcap" --all "$out/fuzz_packets" >/dev/null
for name in $("$mkpcap" --list); do
	"$mkpcap" --ng "$name" "$out/fuzz_packets/$name.pcapng"
done
