#!/usr/bin/env bash
# Tidal set-up: installs the Debian packages Tidal links against (only those missing),
# then builds and runs something. Idempotent, and quiet when nothing is missing.
#
#   ./setup.sh demo   release build, then the main job on a sample series
#   ./setup.sh test   a release build of tidal for the docs test, the whole test suite, then the Spark integration's tests
#   ./setup.sh spark  only the Spark integration's set-up and tests
set -euo pipefail
cd "$(dirname "$0")"

packages=(libcsv-dev libzstd-dev libopenblas-dev pkg-config)
# The test suite also renders every plot it writes with rsvg-convert (PlotChartTests, PlotCLITests).
test_packages=(librsvg2-bin)

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

# The Spark integration (integrations/spark): Java 17 from Debian, pyspark from PyPI in .venv-spark.
spark_venv=.venv-spark
pyspark_version=4.3.0

install_spark() {
    if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
        echo "setup: installing openjdk-17-jre-headless" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    fi
    [ -x "$spark_venv/bin/python" ] && "$spark_venv/bin/python" -c "import pyspark" 2>/dev/null && return 0
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        echo "setup: python3 is older than 3.10; the Spark integration is not set up" >&2
        return 0
    fi
    echo "setup: creating $spark_venv with pyspark==$pyspark_version" >&2
    if ! { python3 -m venv "$spark_venv" && "$spark_venv/bin/pip" install -q --disable-pip-version-check \
        "pyspark==$pyspark_version" >/dev/null; }; then
        echo "setup: pyspark could not be installed; the Spark tests will be skipped" >&2
        rm -rf "$spark_venv"
    fi
}

spark_tests() {
    if ! { [ -x "$spark_venv/bin/python" ] && "$spark_venv/bin/python" -c "import pyspark" 2>/dev/null; }; then
        echo "setup: SKIPPED the Spark tests: no $spark_venv with pyspark (./setup.sh spark creates it)" >&2
        return 0
    fi
    local bin=${TIDAL:-}
    if [ -z "$bin" ]; then
        for b in .build/debug/tidal .build/release/tidal; do [ -x "$b" ] && bin=$PWD/$b && break; done
    fi
    [ -n "$bin" ] || { swift build -q --product tidal && bin=$(swift build --show-bin-path)/tidal; }
    TIDAL=$bin "$spark_venv/bin/python" integrations/spark/test_tidal_spark.py 2>&1 \
        | grep -Ev '^(Using Spark.s default log4j|WARNING: Using incubator|Setting default log level|To adjust logging level|[0-9/]+ [0-9:]+ WARN )'
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
        packages+=("${test_packages[@]}")
        install_missing
        require_swift
        # The house rules first (seconds): one formatting configuration, lines and functions of a
        # readable size, doc comments on every public declaration.
        swift format lint --strict --configuration .swift-format -r Sources Tests Package.swift
        Scripts/check-source-shape.py Sources Tests
        Scripts/check-doc-comments.sh >/dev/null || { Scripts/check-doc-comments.sh | tail -20; exit 1; }
        # DocsTests runs every command README.md and Docs/*.md show, with the release binary their
        # figures come from (debug builds round differently and train 10-50x slower).
        swift build -c release -q --product tidal
        TIDAL_DOCS_BINARY=$(swift build -c release --show-bin-path)/tidal swift test
        install_spark
        spark_tests
        ;;
    spark)
        install_missing
        require_swift
        install_spark
        spark_tests
        ;;
    *)
        echo "usage: ./setup.sh demo|test|spark" >&2
        exit 2
        ;;
esac
