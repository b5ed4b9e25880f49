#!/usr/bin/env bash
# Runs every benchmark in bench/ (each prints its figures as one JSON object on its last line).
set -uo pipefail
py="${PYTHON:-.venv/bin/python}"
status=0
for script in bench/*.py; do
  case "$(basename "$script")" in _*) continue ;; esac
  echo "== $script"
  "$py" "$script" "$@" || status=1
done
exit $status
