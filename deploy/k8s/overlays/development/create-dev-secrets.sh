#!/usr/bin/env bash
# Development cluster only: creates the two key Secrets the development overlay mounts
# (`treasury-signer-key`, `founder-signing-key`) from keys made here and now, so no key is
# committed. Run it before `kubectl apply -k deploy/k8s/overlays/development`.
#   create-dev-secrets.sh            create the Secrets that do not exist yet (keeps existing keys)
#   create-dev-secrets.sh --rotate   replace both (the emulator's chain starts afresh with them)
# Env: NAMESPACE (default incubator-dev).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
NS="${NAMESPACE:-incubator-dev}"
ROTATE=0
[[ "${1:-}" == "--rotate" ]] && ROTATE=1

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
(cd "$ROOT" && node -r @swc-node/register deploy/k8s/overlays/development/dev-keys.ts "$dir")

kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
create() { # name key file
  if [[ $ROTATE -eq 0 ]] && kubectl -n "$NS" get secret "$1" >/dev/null 2>&1; then
    echo "secret $1 exists; kept (--rotate replaces it)"
    return
  fi
  kubectl -n "$NS" create secret generic "$1" --from-file="$2=$3" --dry-run=client -o yaml |
    kubectl apply -f -
  kubectl -n "$NS" label --overwrite secret "$1" incubator.example.org/development-only=true
}
create treasury-signer-key key "$dir/treasury.key"
create founder-signing-key key.pem "$dir/founder.pem"
