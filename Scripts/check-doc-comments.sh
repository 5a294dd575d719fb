#!/usr/bin/env bash
# Lists public declarations that have no `///` (or `/** */`) doc comment right above them.
# Usage: Scripts/check-doc-comments.sh [DIR...]   (default: every module in Sources/ but the CLI)
# Prints `file:line: declaration` for each one and a count per module; exits 1 when any is missing.
#
# What counts as a public declaration: a line whose modifiers include `public` or `open` (after any
# attributes such as `@inlinable`, which may also sit on the lines between the comment and the
# declaration), and the requirements of a public protocol (they carry no modifier of their own).
# Not checked: `public extension` and `public import` lines (no symbol of their own), and enum cases:
# they carry no modifier, and each enum's own comment says what its cases mean, so a one-word case
# (`.lstm`, `.csv`) is left to that comment. The CLI (Sources/tidal) is skipped; its help texts are
# its documentation.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  set -- $(find Sources -mindepth 1 -maxdepth 1 -type d ! -name tidal ! -name 'C*' ! -name 'tidal-*' | sort)
fi
status=0
for dir in "$@"; do
  missing=$(find "$dir" -name '*.swift' -print0 | sort -z | xargs -0 awk '
    FNR == 1 { documented = 0; depth = 0; protocolDepth = -1 }
    {
      line = $0
      text = line; sub(/^[ \t]+/, "", text)
      # Strip attributes at the start of the line (`@inlinable`, `@discardableResult`, `@available(...)`).
      body = text
      while (body ~ /^@[A-Za-z_]+(\([^)]*\))?[ \t]*/) { sub(/^@[A-Za-z_]+(\([^)]*\))?[ \t]*/, "", body) }
      isDecl = 0
      if (body ~ /^((final|nonisolated|static|class|override|mutating|nonmutating|convenience|required|indirect|lazy)[ \t]+)*(public|open)([ \t(]|$)/ &&
          body !~ /^(public|open)[ \t]+(extension|import)[ \t]/) isDecl = 1
      else if (protocolDepth >= 0 && depth == protocolDepth + 1 &&
               body ~ /^((static|mutating|nonmutating)[ \t]+)*(func|var|init|subscript|associatedtype)[ \t(<]/) isDecl = 1
      if (isDecl && !documented) { printf "%s:%d: %s\n", FILENAME, FNR, text }
      # Braces outside strings and line comments track the depth of protocol bodies.
      code = text; gsub(/"([^"\\]|\\.)*"/, "\"\"", code); sub(/\/\/.*/, "", code)
      if (protocolDepth < 0 && body ~ /^(public[ \t]+)protocol[ \t]/) protocolDepth = depth
      opens = gsub(/\{/, "{", code); closes = gsub(/\}/, "}", code)
      depth += opens - closes
      if (protocolDepth >= 0 && depth <= protocolDepth && closes > 0) protocolDepth = -1
      # A doc comment covers the declaration after it, across attribute-only lines.
      if (text ~ /^\/\/\// || text ~ /\*\/[ \t]*$/ && documentedBlock) documented = 1
      else if (text ~ /^\/\*\*/) { documentedBlock = 1; documented = 1 }
      else if (body == "" && text ~ /^@/) { }        # attribute-only line: keep the comment
      else if (text ~ /^(\*|\/\*)/ && documentedBlock) { }
      else { documented = 0; documentedBlock = 0 }
    }' || true)
  count=0
  if [ -n "$missing" ]; then printf '%s\n' "$missing"; count=$(printf '%s\n' "$missing" | wc -l); status=1; fi
  echo "$dir: $count public declarations without a doc comment" >&2
done
exit $status
