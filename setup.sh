#!/usr/bin/env bash
# Tidal set-up: installs the Debian packages Tidal links against (only those missing),
# then builds and runs something. Idempotent, and quiet when nothing is missing.
#
#   ./setup.sh demo   release build, then the main job on a sample series
#   ./setup.sh test   the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

packages=(libcsv-dev libzstd-dev libopenblas-dev pkg-config)

install_missing() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

require_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do [ -x "$d/swift" ] && export PATH="$d:$PATH"; done
    fi
    command -v swift >/dev/null 2>&1 || { echo "setup: no Swift toolchain on PATH; install Swift 6 from swift.org first" >&2; exit 1; }
}

case "${1:-demo}" in
    demo)
        install_missing
        require_swift
        swift build -c release -q
        bin=$(swift build -c release --show-bin-path)/tidal
        out=${TMPDIR:-/tmp}/tidal-demo
        mkdir -p "$out"
        echo "\$ tidal describe SampleSeries/airline.csv --lookback 24"
        "$bin" describe SampleSeries/airline.csv --lookback 24
        if "$bin" help train >/dev/null 2>&1; then
            echo "\$ tidal train --data SampleSeries/airline.csv --target value --lookback 24 --season 12 --out $out/airline.tidal --plots $out"
            "$bin" train --data SampleSeries/airline.csv --target value --lookback 24 --season 12 --seed 0 --out "$out/airline.tidal" --plots "$out"
            echo "\$ tidal forecast --model $out/airline.tidal --data SampleSeries/airline.csv"
            "$bin" forecast --model "$out/airline.tidal" --data SampleSeries/airline.csv
        fi
        ;;
    test)
        install_missing
        require_swift
        # The house rules first (seconds): one formatting configuration, lines and functions of a
        # readable size, doc comments on every public declaration.
        swift format lint --strict --configuration .swift-format -r Sources Tests Package.swift
        Scripts/check-source-shape.py Sources Tests
        Scripts/check-doc-comments.sh >/dev/null || { Scripts/check-doc-comments.sh | tail -20; exit 1; }
        swift test
        ;;
    *)
        echo "usage: ./setup.sh demo|test" >&2
        exit 2
        ;;
esac
