#!/bin/sh
# Docker HEALTHCHECK for a Loom silo: one grpc.health.v1 Check over HTTP/2 cleartext, the same call that
# Kubernetes' native grpc probe makes. Health is the one RPC that needs no API key, so this script needs no secret.
# The request is an empty HealthCheckRequest in gRPC framing (flag byte + 4-byte length = 0); a SERVING reply is
# the frame 00 00000002 08 01 (field 1, status = 1). Anything else (NOT_SERVING, no answer, a gRPC error) fails.
# Usage: grpc-health.sh [port]   (default: $LOOM__GRPCPORT, else 7070)
port="${1:-${LOOM__GRPCPORT:-7070}}"
reply=$(printf '\0\0\0\0\0' \
  | curl --silent --http2-prior-knowledge --max-time 4 \
      -H 'content-type: application/grpc' -H 'te: trailers' \
      --data-binary @- "http://127.0.0.1:${port}/grpc.health.v1.Health/Check" \
  | od -An -tx1 | tr -d ' \n')
[ "$reply" = "00000000020801" ]
