#!/usr/bin/env bash
# Fetch 3Dmol.js (npm package 3dmol, the version py3Dmol 2.5.5 points at) into .cache/3dmol/ for the offline 3D viewer.
# Never committed: omtx_core/ui/viewer.py inlines this file and falls back to py3Dmol's CDN URL when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${THREEDMOL_VERSION:-2.5.5}"
TARGET=".cache/3dmol/3Dmol-min.js"

if [[ -s "$TARGET" ]]; then
  echo "3Dmol.js already in $TARGET"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: skipping 3Dmol.js; the 3D viewer will load it from py3Dmol's CDN URL instead."
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# npm pack downloads the published tarball only (no dependencies, no install scripts run).
tarball="$(cd "$work" && npm pack --loglevel=error "3dmol@$VERSION" 2>"$work/npm.log" | tail -n 1)" || true
if [[ -z "$tarball" || ! -f "$work/$tarball" ]]; then
  # Setup must not fail for an optional file: the viewer still works online through the CDN URL.
  echo "npm could not fetch 3dmol@$VERSION ($(grep -m 1 . "$work/npm.log" || echo 'no message')):" \
    "the 3D viewer will load it from py3Dmol's CDN URL instead."
  exit 0
fi
tar -xzf "$work/$tarball" -C "$work" package/build/3Dmol-min.js
mkdir -p "$(dirname "$TARGET")"
# Write via a temporary name so an interrupted copy never leaves a truncated script that looks present.
cp "$work/package/build/3Dmol-min.js" "$TARGET.tmp"
mv "$TARGET.tmp" "$TARGET"
echo "3Dmol.js $VERSION saved to $TARGET ($(wc -c <"$TARGET") bytes)"
