# bench/nginx_format.sh - sourced by the benchmarks: FMT, the nginx
# log_format of the logs tests/tools/genlog writes (bench/run.sh's
# production-cardinality and low-cardinality logs), with the upstream
# fields, the request id and the host.
FMT='$remote_addr - $remote_user [$time_local] "$request" $status'
FMT+=' $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time'
FMT+=' uaddr="$upstream_addr" us="$upstream_status"'
FMT+=' uct="$upstream_connect_time" uht="$upstream_header_time"'
FMT+=' urt="$upstream_response_time" rid=$request_id host=$host'
