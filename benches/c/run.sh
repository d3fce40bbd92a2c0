#!/usr/bin/env bash
# Builds benches/c/instantiate_call.c against Kiln and (when available)
# Wasmtime, runs the two one after the other and prints a side-by-side
# table. Wasmtime is looked for in WASMTIME_INCLUDE / WASMTIME_LIB
# (default: /work/ref-wasmtime/include and /work/ref-wasmtime/lib).
#
#   benches/c/run.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
wasmtime_include=${WASMTIME_INCLUDE:-/work/ref-wasmtime/include}
wasmtime_lib=${WASMTIME_LIB:-/work/ref-wasmtime/lib}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

(cd "$root" && cargo build --release -p kiln-capi)

# build NAME INCLUDE_DIR LIB_DIR LIB
build() {
  cc -O2 -I"$2" "$here/instantiate_call.c" -o "$out/$1" \
    -L"$3" -Wl,-rpath,"$3" -l"$4"
}

build kiln "$root/include" "$root/target/release" kiln
have_wasmtime=0
if [[ -f "$wasmtime_lib/libwasmtime.so" ]]; then
  build wasmtime "$wasmtime_include" "$wasmtime_lib" wasmtime
  have_wasmtime=1
else
  echo "note: no $wasmtime_lib/libwasmtime.so; measuring Kiln only" >&2
fi

# One after the other, never concurrently.
echo "running the Kiln build..." >&2
"$out/kiln" >"$out/kiln.tsv"
if ((have_wasmtime)); then
  echo "running the Wasmtime build..." >&2
  "$out/wasmtime" >"$out/wasmtime.tsv"
else
  : >"$out/wasmtime.tsv"
fi

awk -F '\t' '
  NR == FNR { wasmtime[$1] = $2; next }
  {
    w = ($1 in wasmtime) ? wasmtime[$1] : ""
    ratio = (w != "" && w + 0 != 0) ? sprintf("%.2f", $2 / w) : "-"
    printf "| %-23s | %10s | %11s | %5s |\n", $1, $2, (w == "" ? "-" : w), ratio
  }
  BEGIN {
    printf "| %-23s | %10s | %11s | %5s |\n", "figure", "Kiln ns", "Wasmtime ns", "ratio"
    printf "|%s|%s|%s|%s|\n", "-------------------------", "------------", "-------------", "-------"
  }
' "$out/wasmtime.tsv" "$out/kiln.tsv"
